using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_q5_K</c> (176 bytes): as Q4_K with a fifth bit per value in Qh (bit 2c of Qh[l] belongs to value
/// 64c + l, bit 2c+1 to value 64c + 32 + l).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5K
{
    public const int Values = 256;
    public const int Bytes = 176;

    /// <summary>Super-block scale of the sub-block scales.</summary>
    public Half D;
    /// <summary>Super-block scale of the sub-block minimums.</summary>
    public Half Dmin;
    /// <summary>Eight 6-bit scales and eight 6-bit minimums.</summary>
    public QuantBytes12 Scales;
    /// <summary>High (fifth) bits.</summary>
    public QuantBytes32 Qh;
    /// <summary>Low 4 bits.</summary>
    public QuantBytes128 Qs;
}

/// <summary>Scalar reference for Q5_K.</summary>
internal static class Q5K
{
    public static void Dequantize(ReadOnlySpan<BlockQ5K> blocks, Span<float> y)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ5K b = ref blocks[i];
            float d = (float)b.D, min = (float)b.Dmin;
            Span<float> yb = y.Slice(i * BlockQ5K.Values, BlockQ5K.Values);
            for (int chunk = 0; chunk < 4; chunk++)
            {
                QuantMath.GetScaleMinK4(2 * chunk, b.Scales, out byte sc1, out byte m1);
                QuantMath.GetScaleMinK4(2 * chunk + 1, b.Scales, out byte sc2, out byte m2);
                float d1 = d * sc1, min1 = min * m1, d2 = d * sc2, min2 = min * m2;
                int u1 = 1 << (2 * chunk), u2 = 2 << (2 * chunk);
                for (int l = 0; l < 32; ++l)
                {
                    byte q = b.Qs[chunk * 32 + l];
                    byte h = b.Qh[l];
                    yb[chunk * 64 + l] = d1 * ((q & 0xF) + ((h & u1) != 0 ? 16 : 0)) - min1;
                    yb[chunk * 64 + 32 + l] = d2 * ((q >> 4) + ((h & u2) != 0 ? 16 : 0)) - min2;
                }
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ5K> blocks)
    {
        Span<byte> levels = stackalloc byte[BlockQ5K.Values];
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ5K.Values, BlockQ5K.Values);
            ref BlockQ5K b = ref blocks[i];
            KQuantAsymmetric.FitSubBlocks(xb, levels, nmax: 31, rmin: -0.5f, rdelta: 0.1f, nstep: 15, b.Scales, out float d, out float dmin);
            b.D = (Half)d;
            b.Dmin = (Half)dmin;
            KQuantAsymmetric.Requantize(xb, levels, nmax: 31, b.Scales, (float)b.D, (float)b.Dmin);
            b.Qh = default;
            for (int chunk = 0; chunk < 4; chunk++)
            {
                byte m1 = (byte)(1 << (2 * chunk)), m2 = (byte)(2 << (2 * chunk));
                for (int j = 0; j < 32; ++j)
                {
                    int l1 = levels[chunk * 64 + j];
                    if (l1 > 15) { l1 -= 16; b.Qh[j] |= m1; }
                    int l2 = levels[chunk * 64 + 32 + j];
                    if (l2 > 15) { l2 -= 16; b.Qh[j] |= m2; }
                    b.Qs[chunk * 32 + j] = (byte)(l1 | (l2 << 4));
                }
            }
        }
    }

    public static float DotQ8K(ReadOnlySpan<BlockQ5K> x, ReadOnlySpan<BlockQ8K> y)
    {
        float sumf = 0;
        for (int i = 0; i < x.Length; ++i)
        {
            ref readonly BlockQ5K b = ref x[i];
            ref readonly BlockQ8K a = ref y[i];
            int sumi = 0, summins = 0;
            for (int j = 0; j < 8; ++j)
            {
                QuantMath.GetScaleMinK4(j, b.Scales, out byte sc, out byte m);
                int shift = (j & 1) * 4;
                int highMask = 1 << j;
                int isum = 0;
                for (int l = 0; l < 32; ++l)
                {
                    int q = ((b.Qs[(j / 2) * 32 + l] >> shift) & 0xF) + ((b.Qh[l] & highMask) != 0 ? 16 : 0);
                    isum += a.Qs[j * 32 + l] * q;
                }
                sumi += sc * isum;
                summins += m * (a.Bsums[2 * j] + a.Bsums[2 * j + 1]);
            }
            sumf += (float)b.D * a.D * sumi - (float)b.Dmin * a.D * summins;
        }
        return sumf;
    }
}
