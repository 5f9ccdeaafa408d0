using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_q6_K</c> (210 bytes): 256 values in 16 groups of 16, value = D · Scales[g] · (q − 32) with 6-bit q:
/// low 4 bits in Ql, high 2 bits in Qh. Per half (128 values): Ql[l] holds values l (low nibble) and l+64 (high),
/// Ql[l+32] values l+32 and l+96; Qh[l] bit pairs 0/2/4/6 belong to values l, l+32, l+64, l+96.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ6K
{
    public const int Values = 256;
    public const int Bytes = 210;

    /// <summary>Low 4 bits.</summary>
    public QuantBytes128 Ql;
    /// <summary>High 2 bits.</summary>
    public QuantBytes64 Qh;
    /// <summary>Signed 8-bit group scales.</summary>
    public QuantSBytes16 Scales;
    /// <summary>Super-block scale.</summary>
    public Half D;
}

/// <summary>Scalar reference for Q6_K.</summary>
internal static class Q6K
{
    public static void Dequantize(ReadOnlySpan<BlockQ6K> blocks, Span<float> y)
    {
        Span<sbyte> q = stackalloc sbyte[BlockQ6K.Values];
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ6K b = ref blocks[i];
            float d = (float)b.D;
            Unpack(b, q);
            Span<float> yb = y.Slice(i * BlockQ6K.Values, BlockQ6K.Values);
            for (int k = 0; k < BlockQ6K.Values; ++k) yb[k] = d * b.Scales[k / 16] * q[k];
        }
    }

    /// <summary>Signed 6-bit levels (−32..31) of all 256 values, in value order.</summary>
    public static void Unpack(in BlockQ6K b, Span<sbyte> q)
    {
        for (int half = 0; half < 2; half++)
        {
            int ql = half * 64, qh = half * 32, o = half * 128;
            for (int l = 0; l < 32; ++l)
            {
                q[o + l] = (sbyte)(((b.Ql[ql + l] & 0xF) | (((b.Qh[qh + l] >> 0) & 3) << 4)) - 32);
                q[o + l + 32] = (sbyte)(((b.Ql[ql + l + 32] & 0xF) | (((b.Qh[qh + l] >> 2) & 3) << 4)) - 32);
                q[o + l + 64] = (sbyte)(((b.Ql[ql + l] >> 4) | (((b.Qh[qh + l] >> 4) & 3) << 4)) - 32);
                q[o + l + 96] = (sbyte)(((b.Ql[ql + l + 32] >> 4) | (((b.Qh[qh + l] >> 6) & 3) << 4)) - 32);
            }
        }
    }

    /// <summary>Per group of 16 a make_qx_quants fit (x²-weighted); group scales stored as 8-bit fractions of the largest.</summary>
    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ6K> blocks)
    {
        Span<sbyte> levels = stackalloc sbyte[BlockQ6K.Values];
        Span<float> scales = stackalloc float[16];
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ6K.Values, BlockQ6K.Values);
            ref BlockQ6K b = ref blocks[i];
            float maxScale = 0, maxAbsScale = 0;
            for (int g = 0; g < 16; ++g)
            {
                scales[g] = QuantMath.MakeQxQuants(16, 32, xb.Slice(16 * g, 16), levels.Slice(16 * g, 16), 1, default);
                float abs = MathF.Abs(scales[g]);
                if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scales[g]; }
            }
            if (maxAbsScale < QuantMath.GroupMaxEps)
            {
                b = default;
                continue;
            }
            float iscale = -128f / maxScale;
            b.D = (Half)(1 / iscale);
            for (int g = 0; g < 16; ++g) b.Scales[g] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * scales[g]));
            for (int g = 0; g < 16; ++g)
            {
                float d = (float)b.D * b.Scales[g];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii)
                {
                    int l = Math.Clamp(QuantMath.NearestInt(xb[16 * g + ii] / d), -32, 31);
                    levels[16 * g + ii] = (sbyte)(l + 32);
                }
            }
            Pack(levels, ref b);
        }
    }

    private static void Pack(ReadOnlySpan<sbyte> levels, ref BlockQ6K b)
    {
        for (int half = 0; half < 2; half++)
        {
            int j = half * 128, ql = half * 64, qh = half * 32;
            for (int l = 0; l < 32; ++l)
            {
                int q1 = levels[j + l] & 0xF, q2 = levels[j + l + 32] & 0xF;
                int q3 = levels[j + l + 64] & 0xF, q4 = levels[j + l + 96] & 0xF;
                b.Ql[ql + l] = (byte)(q1 | (q3 << 4));
                b.Ql[ql + l + 32] = (byte)(q2 | (q4 << 4));
                b.Qh[qh + l] = (byte)((levels[j + l] >> 4) | ((levels[j + l + 32] >> 4) << 2)
                    | ((levels[j + l + 64] >> 4) << 4) | ((levels[j + l + 96] >> 4) << 6));
            }
        }
    }

    public static float DotQ8K(ReadOnlySpan<BlockQ6K> x, ReadOnlySpan<BlockQ8K> y)
    {
        Span<sbyte> q = stackalloc sbyte[BlockQ6K.Values];
        float sumf = 0;
        for (int i = 0; i < x.Length; ++i)
        {
            ref readonly BlockQ6K b = ref x[i];
            ref readonly BlockQ8K a = ref y[i];
            Unpack(b, q);
            int sumi = 0;
            for (int g = 0; g < 16; ++g)
            {
                int isum = 0;
                for (int l = 0; l < 16; ++l) isum += a.Qs[g * 16 + l] * q[g * 16 + l];
                sumi += b.Scales[g] * isum;
            }
            sumf += (float)b.D * a.D * sumi;
        }
        return sumf;
    }
}
