using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_q4_K</c> (144 bytes): 256 values in 8 sub-blocks of 32, value = D·sc[j]·q − Dmin·m[j] with 4-bit q
/// and 6-bit sc/m packed in Scales. Qs holds 64 values per 32 bytes: low nibbles first, then high nibbles.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4K
{
    public const int Values = 256;
    public const int Bytes = 144;

    /// <summary>Super-block scale of the sub-block scales.</summary>
    public Half D;
    /// <summary>Super-block scale of the sub-block minimums.</summary>
    public Half Dmin;
    /// <summary>Eight 6-bit scales and eight 6-bit minimums.</summary>
    public QuantBytes12 Scales;
    /// <summary>4-bit quants.</summary>
    public QuantBytes128 Qs;
}

/// <summary>Scalar reference for Q4_K (ggml quantize_row_q4_K_ref / dequantize_row_q4_K / ggml_vec_dot_q4_K_q8_K).</summary>
internal static class Q4K
{
    public static void Dequantize(ReadOnlySpan<BlockQ4K> blocks, Span<float> y)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ4K b = ref blocks[i];
            float d = (float)b.D, min = (float)b.Dmin;
            Span<float> yb = y.Slice(i * BlockQ4K.Values, BlockQ4K.Values);
            for (int chunk = 0; chunk < 4; chunk++)
            {
                QuantMath.GetScaleMinK4(2 * chunk, b.Scales, out byte sc1, out byte m1);
                QuantMath.GetScaleMinK4(2 * chunk + 1, b.Scales, out byte sc2, out byte m2);
                float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
                for (int l = 0; l < 32; ++l)
                {
                    byte q = b.Qs[chunk * 32 + l];
                    yb[chunk * 64 + l] = d1 * (q & 0xF) - min1;
                    yb[chunk * 64 + 32 + l] = d2 * (q >> 4) - min2;
                }
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ4K> blocks)
    {
        Span<byte> levels = stackalloc byte[BlockQ4K.Values];
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ4K.Values, BlockQ4K.Values);
            ref BlockQ4K b = ref blocks[i];
            KQuantAsymmetric.FitSubBlocks(xb, levels, nmax: 15, rmin: -1f, rdelta: 0.1f, nstep: 20, b.Scales, out float d, out float dmin);
            b.D = (Half)d;
            b.Dmin = (Half)dmin;
            KQuantAsymmetric.Requantize(xb, levels, nmax: 15, b.Scales, (float)b.D, (float)b.Dmin);
            for (int chunk = 0; chunk < 4; chunk++)
            {
                for (int l = 0; l < 32; ++l)
                    b.Qs[chunk * 32 + l] = (byte)(levels[chunk * 64 + l] | (levels[chunk * 64 + 32 + l] << 4));
            }
        }
    }

    /// <summary>Integer dot with Q8_K activations; the minimums go through the activation group sums.</summary>
    public static float DotQ8K(ReadOnlySpan<BlockQ4K> x, ReadOnlySpan<BlockQ8K> y)
    {
        float sumf = 0;
        for (int i = 0; i < x.Length; ++i)
        {
            ref readonly BlockQ4K b = ref x[i];
            ref readonly BlockQ8K a = ref y[i];
            int sumi = 0, summins = 0;
            for (int j = 0; j < 8; ++j)
            {
                QuantMath.GetScaleMinK4(j, b.Scales, out byte sc, out byte m);
                int shift = (j & 1) * 4;
                int isum = 0;
                for (int l = 0; l < 32; ++l)
                    isum += a.Qs[j * 32 + l] * ((b.Qs[(j / 2) * 32 + l] >> shift) & 0xF);
                sumi += sc * isum;
                summins += m * (a.Bsums[2 * j] + a.Bsums[2 * j + 1]);
            }
            sumf += (float)b.D * a.D * sumi - (float)b.Dmin * a.D * summins;
        }
        return sumf;
    }
}
