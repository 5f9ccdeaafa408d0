using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>ggml <c>block_q8_1</c> (36 bytes): like Q8_0 plus S = D · Σ Qs, the activation type for Q4_1/Q5_1 dots.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_1
{
    public const int Values = 32;
    public const int Bytes = 36;

    /// <summary>Scale.</summary>
    public Half D;
    /// <summary>D times the sum of the quants.</summary>
    public Half S;
    /// <summary>Signed 8-bit quants.</summary>
    public QuantSBytes32 Qs;
}

/// <summary>Scalar reference for Q8_1 (ggml quantize_row_q8_1_ref).</summary>
internal static class Q8_1
{
    public static void Dequantize(ReadOnlySpan<BlockQ8_1> blocks, Span<float> y)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            float d = (float)blocks[i].D;
            for (int j = 0; j < BlockQ8_1.Values; ++j) y[i * BlockQ8_1.Values + j] = blocks[i].Qs[j] * d;
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ8_1> blocks)
    {
        const int half = BlockQ8_1.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ8_1.Values, BlockQ8_1.Values);
            float amax = 0;
            foreach (float v in xb) amax = MathF.Max(amax, MathF.Abs(v));
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ8_1 b = ref blocks[i];
            b.D = (Half)d;
            int sum = 0;
            for (int j = 0; j < half; ++j)
            {
                b.Qs[j] = (sbyte)MathF.Round(xb[j] * id, MidpointRounding.AwayFromZero);
                b.Qs[half + j] = (sbyte)MathF.Round(xb[half + j] * id, MidpointRounding.AwayFromZero);
                sum += b.Qs[j] + b.Qs[half + j];
            }
            b.S = (Half)(sum * d);
        }
    }
}
