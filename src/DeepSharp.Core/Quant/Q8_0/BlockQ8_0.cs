using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>ggml <c>block_q8_0</c> (34 bytes): 32 values, value[i] = D · Qs[i].</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_0
{
    public const int Values = 32;
    public const int Bytes = 34;

    /// <summary>Scale.</summary>
    public Half D;
    /// <summary>Signed 8-bit quants.</summary>
    public QuantSBytes32 Qs;
}

/// <summary>Scalar reference for Q8_0 (ggml quantize_row_q8_0_ref / dequantize_row_q8_0).</summary>
internal static class Q8_0
{
    public static void Dequantize(ReadOnlySpan<BlockQ8_0> blocks, Span<float> y)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ8_0 b = ref blocks[i];
            float d = (float)b.D;
            Span<float> yb = y.Slice(i * BlockQ8_0.Values, BlockQ8_0.Values);
            for (int j = 0; j < BlockQ8_0.Values; ++j) yb[j] = b.Qs[j] * d;
        }
    }

    /// <summary>Scale = absmax/127, quants = round-half-away(x/scale).</summary>
    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ8_0> blocks)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ8_0.Values, BlockQ8_0.Values);
            float amax = 0;
            foreach (float v in xb) amax = MathF.Max(amax, MathF.Abs(v));
            float d = amax / ((1 << 7) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ8_0 b = ref blocks[i];
            b.D = (Half)d;
            for (int j = 0; j < BlockQ8_0.Values; ++j)
                b.Qs[j] = (sbyte)MathF.Round(xb[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>ggml_vec_dot_q8_0_q8_0: per block, integer dot times both scales.</summary>
    public static float DotQ8_0(ReadOnlySpan<BlockQ8_0> x, ReadOnlySpan<BlockQ8_0> y)
    {
        float sumf = 0;
        for (int ib = 0; ib < x.Length; ++ib)
        {
            int sumi = 0;
            for (int j = 0; j < BlockQ8_0.Values; j++) sumi += x[ib].Qs[j] * y[ib].Qs[j];
            sumf += sumi * ((float)x[ib].D * (float)y[ib].D);
        }
        return sumf;
    }
}
