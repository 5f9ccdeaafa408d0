using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_q2_K</c> (84 bytes): 256 values in 16 groups of 16, value = D·(sc&amp;15)·q − Dmin·(sc&gt;&gt;4) with 2-bit q.
/// Per 128 values, Qs[l] (32 bytes) holds values l, l+32, l+64, l+96 in bit pairs 0, 2, 4, 6.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ2K
{
    public const int Values = 256;
    public const int Bytes = 84;

    /// <summary>4-bit scale (low) and 4-bit minimum (high) per group.</summary>
    public QuantBytes16 Scales;
    /// <summary>2-bit quants.</summary>
    public QuantBytes64 Qs;
    /// <summary>Super-block scale of the group scales.</summary>
    public Half D;
    /// <summary>Super-block scale of the group minimums.</summary>
    public Half Dmin;
}

/// <summary>Scalar reference for Q2_K.</summary>
internal static class Q2K
{
    /// <summary>2-bit level of value <paramref name="k"/> (0..255) of the block.</summary>
    private static int Level(in BlockQ2K b, int k) => (b.Qs[(k / 128) * 32 + (k % 32)] >> (2 * ((k % 128) / 32))) & 3;

    public static void Dequantize(ReadOnlySpan<BlockQ2K> blocks, Span<float> y)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ2K b = ref blocks[i];
            float d = (float)b.D, min = (float)b.Dmin;
            Span<float> yb = y.Slice(i * BlockQ2K.Values, BlockQ2K.Values);
            for (int k = 0; k < BlockQ2K.Values; ++k)
            {
                byte sc = b.Scales[k / 16];
                yb[k] = d * (sc & 0xF) * Level(b, k) - min * (sc >> 4);
            }
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ2K> blocks)
    {
        const float q4scale = 15f;
        Span<byte> levels = stackalloc byte[BlockQ2K.Values];
        Span<byte> aux = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> mins = stackalloc float[16];
        Span<float> scales = stackalloc float[16];
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ2K.Values, BlockQ2K.Values);
            ref BlockQ2K b = ref blocks[i];
            float maxScale = 0, maxMin = 0;
            for (int g = 0; g < 16; ++g)
            {
                ReadOnlySpan<float> xs = xb.Slice(16 * g, 16);
                for (int l = 0; l < 16; ++l) weights[l] = MathF.Abs(xs[l]);
                scales[g] = QuantMath.MakeQkx2Quants(16, 3, xs, weights, levels.Slice(16 * g, 16), out mins[g], aux, -0.5f, 0.1f, 15, useMad: true);
                if (scales[g] > maxScale) maxScale = scales[g];
                if (mins[g] > maxMin) maxMin = mins[g];
            }
            b.Scales = default;
            b.D = (Half)0f;
            b.Dmin = (Half)0f;
            if (maxScale > 0)
            {
                float iscale = q4scale / maxScale;
                for (int g = 0; g < 16; ++g) b.Scales[g] = (byte)QuantMath.NearestInt(iscale * scales[g]);
                b.D = (Half)(maxScale / q4scale);
            }
            if (maxMin > 0)
            {
                float iscale = q4scale / maxMin;
                for (int g = 0; g < 16; ++g) b.Scales[g] |= (byte)(QuantMath.NearestInt(iscale * mins[g]) << 4);
                b.Dmin = (Half)(maxMin / q4scale);
            }
            for (int g = 0; g < 16; ++g)
            {
                float d = (float)b.D * (b.Scales[g] & 0xF);
                if (d == 0) continue;
                float dm = (float)b.Dmin * (b.Scales[g] >> 4);
                for (int ii = 0; ii < 16; ++ii)
                    levels[16 * g + ii] = (byte)Math.Clamp(QuantMath.NearestInt((xb[16 * g + ii] + dm) / d), 0, 3);
            }
            PackTwoBit(levels, b.Qs);
        }
    }

    /// <summary>Packs 256 2-bit levels: per 128 values, byte l holds values l, l+32, l+64, l+96.</summary>
    public static void PackTwoBit(ReadOnlySpan<byte> levels, Span<byte> qs)
    {
        for (int j = 0; j < BlockQ2K.Values; j += 128)
        {
            for (int l = 0; l < 32; ++l)
                qs[j / 4 + l] = (byte)(levels[j + l] | (levels[j + l + 32] << 2) | (levels[j + l + 64] << 4) | (levels[j + l + 96] << 6));
        }
    }

    public static float DotQ8K(ReadOnlySpan<BlockQ2K> x, ReadOnlySpan<BlockQ8K> y)
    {
        float sumf = 0;
        for (int i = 0; i < x.Length; ++i)
        {
            ref readonly BlockQ2K b = ref x[i];
            ref readonly BlockQ8K a = ref y[i];
            int summs = 0, isum = 0;
            for (int g = 0; g < 16; ++g)
            {
                summs += a.Bsums[g] * (b.Scales[g] >> 4);
                int isuml = 0;
                for (int l = 0; l < 16; ++l) isuml += a.Qs[16 * g + l] * Level(b, 16 * g + l);
                isum += (b.Scales[g] & 0xF) * isuml;
            }
            float dall = a.D * (float)b.D;
            float dmin = a.D * (float)b.Dmin;
            sumf += dall * isum - dmin * summs;
        }
        return sumf;
    }
}
