using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_q4_0</c> (18 bytes): 32 values. Byte j holds value j in its low nibble and value j+16 in its
/// high nibble; value = D · (nibble − 8).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_0
{
    public const int Values = 32;
    public const int Bytes = 18;

    /// <summary>Scale.</summary>
    public Half D;
    /// <summary>4-bit quants, two per byte.</summary>
    public QuantBytes16 Qs;
}

/// <summary>Scalar reference for Q4_0 (ggml quantize_row_q4_0_ref / dequantize_row_q4_0 / ggml_vec_dot_q4_0_q8_0).</summary>
internal static class Q4_0
{
    public static void Dequantize(ReadOnlySpan<BlockQ4_0> blocks, Span<float> y)
    {
        const int half = BlockQ4_0.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ4_0 b = ref blocks[i];
            float d = (float)b.D;
            Span<float> yb = y.Slice(i * BlockQ4_0.Values, BlockQ4_0.Values);
            for (int j = 0; j < half; ++j)
            {
                yb[j] = ((b.Qs[j] & 0x0F) - 8) * d;
                yb[j + half] = ((b.Qs[j] >> 4) - 8) * d;
            }
        }
    }

    /// <summary>The value of largest magnitude maps to −8 (scale = max/−8); others round by truncating x/d + 8.5.</summary>
    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ4_0> blocks)
    {
        const int half = BlockQ4_0.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ4_0.Values, BlockQ4_0.Values);
            float amax = 0, max = 0;
            foreach (float v in xb)
            {
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ4_0 b = ref blocks[i];
            b.D = (Half)d;
            for (int j = 0; j < half; ++j)
            {
                float x0 = xb[j] * id;
                float x1 = xb[half + j] * id;
                int q0 = Math.Min(15, (int)(x0 + 8.5f));
                int q1 = Math.Min(15, (int)(x1 + 8.5f));
                b.Qs[j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    public static float DotQ8_0(ReadOnlySpan<BlockQ4_0> x, ReadOnlySpan<BlockQ8_0> y)
    {
        const int half = BlockQ4_0.Values / 2;
        float sumf = 0;
        for (int ib = 0; ib < x.Length; ++ib)
        {
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < half; ++j)
            {
                int v0 = (x[ib].Qs[j] & 0x0F) - 8;
                int v1 = (x[ib].Qs[j] >> 4) - 8;
                sumi0 += v0 * y[ib].Qs[j];
                sumi1 += v1 * y[ib].Qs[j + half];
            }
            sumf += (sumi0 + sumi1) * (float)x[ib].D * (float)y[ib].D;
        }
        return sumf;
    }
}
