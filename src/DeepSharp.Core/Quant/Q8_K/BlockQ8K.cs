using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_q8_K</c> (292 bytes): 256 activation values = D · Qs[i], with Bsums[g] = Σ Qs over each group of
/// 16 (lets the k-quant dots apply their per-group minimums without touching the quants). D is an FP32.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8K
{
    public const int Values = 256;
    public const int Bytes = 292;

    /// <summary>Scale (FP32).</summary>
    public float D;
    /// <summary>Signed 8-bit quants.</summary>
    public QuantSBytes256 Qs;
    /// <summary>Sums of the quants in groups of 16.</summary>
    public QuantShorts16 Bsums;
}

/// <summary>Scalar reference for Q8_K (ggml quantize_row_q8_K_ref / dequantize_row_q8_K).</summary>
internal static class Q8K
{
    public static void Dequantize(ReadOnlySpan<BlockQ8K> blocks, Span<float> y)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            float d = blocks[i].D;
            for (int j = 0; j < BlockQ8K.Values; ++j) y[i * BlockQ8K.Values + j] = d * blocks[i].Qs[j];
        }
    }

    /// <summary>The value of largest magnitude maps to −127 (so its sign sets the scale's sign); quants round to nearest even.</summary>
    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ8K> blocks)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ8K.Values, BlockQ8K.Values);
            ref BlockQ8K b = ref blocks[i];
            float max = 0, amax = 0;
            foreach (float v in xb)
            {
                float ax = MathF.Abs(v);
                if (ax > amax) { amax = ax; max = v; }
            }
            if (amax == 0)
            {
                b = default;
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < BlockQ8K.Values; ++j)
                b.Qs[j] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * xb[j]));
            for (int g = 0; g < BlockQ8K.Values / 16; ++g)
            {
                int sum = 0;
                for (int k = 0; k < 16; ++k) sum += b.Qs[g * 16 + k];
                b.Bsums[g] = (short)sum;
            }
            b.D = 1 / iscale;
        }
    }
}
