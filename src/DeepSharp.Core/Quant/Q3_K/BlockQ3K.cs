using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_q3_K</c> (110 bytes): 256 values in 16 groups of 16, value = D·(sc − 32)·(q − 4) with 3-bit q:
/// low 2 bits packed as in Q2_K, high bit in HMask (bit b of HMask[l] belongs to value 32b + l) and stored
/// inverted in the sense that a clear bit subtracts 4. The 6-bit group scales are packed in 12 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ3K
{
    public const int Values = 256;
    public const int Bytes = 110;

    /// <summary>High bits.</summary>
    public QuantBytes32 HMask;
    /// <summary>Low 2 bits.</summary>
    public QuantBytes64 Qs;
    /// <summary>Sixteen 6-bit scales.</summary>
    public QuantBytes12 Scales;
    /// <summary>Super-block scale.</summary>
    public Half D;
}

/// <summary>Scalar reference for Q3_K.</summary>
internal static class Q3K
{
    /// <summary>Signed scale (−32..31) of group <paramref name="g"/> from the 12 packed bytes.</summary>
    public static int GroupScale(ReadOnlySpan<byte> s, int g)
    {
        int low = g < 8 ? s[g] & 0xF : s[g - 8] >> 4;
        int high = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
        return (low | (high << 4)) - 32;
    }

    /// <summary>Signed 3-bit level (−4..3) of value <paramref name="k"/>.</summary>
    private static int Level(in BlockQ3K b, int k)
    {
        int low = (b.Qs[(k / 128) * 32 + (k % 32)] >> (2 * ((k % 128) / 32))) & 3;
        bool high = (b.HMask[k % 32] & (1 << (k / 32))) != 0;
        return low - (high ? 0 : 4);
    }

    public static void Dequantize(ReadOnlySpan<BlockQ3K> blocks, Span<float> y)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ3K b = ref blocks[i];
            float dAll = (float)b.D;
            Span<float> yb = y.Slice(i * BlockQ3K.Values, BlockQ3K.Values);
            for (int k = 0; k < BlockQ3K.Values; ++k)
                yb[k] = dAll * GroupScale(b.Scales, k / 16) * Level(b, k);
        }
    }

    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ3K> blocks)
    {
        Span<sbyte> levels = stackalloc sbyte[BlockQ3K.Values];
        Span<float> scales = stackalloc float[16];
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ3K.Values, BlockQ3K.Values);
            ref BlockQ3K b = ref blocks[i];
            float maxScale = 0, amax = 0;
            for (int g = 0; g < 16; ++g)
            {
                scales[g] = QuantMath.MakeQ3Quants(16, 4, xb.Slice(16 * g, 16), levels.Slice(16 * g, 16), doRmse: true);
                float scale = MathF.Abs(scales[g]);
                if (scale > amax) { amax = scale; maxScale = scales[g]; }
            }
            b.Scales = default;
            if (maxScale != 0)
            {
                float iscale = -32f / maxScale;
                for (int g = 0; g < 16; ++g)
                {
                    int l = Math.Clamp((int)(sbyte)QuantMath.NearestInt(iscale * scales[g]), -32, 31) + 32;
                    if (g < 8) b.Scales[g] = (byte)(l & 0xF);
                    else b.Scales[g - 8] |= (byte)((l & 0xF) << 4);
                    b.Scales[g % 4 + 8] |= (byte)((l >> 4) << (2 * (g / 4)));
                }
                b.D = (Half)(1 / iscale);
            }
            else
            {
                b.D = (Half)0f;
            }
            for (int g = 0; g < 16; ++g)
            {
                float d = (float)b.D * GroupScale(b.Scales, g);
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii)
                    levels[16 * g + ii] = (sbyte)(Math.Clamp(QuantMath.NearestInt(xb[16 * g + ii] / d), -4, 3) + 4);
            }
            Pack(levels, ref b);
        }
    }

    private static void Pack(Span<sbyte> levels, ref BlockQ3K b)
    {
        b.HMask = default;
        Span<byte> low = stackalloc byte[BlockQ3K.Values];
        for (int k = 0; k < BlockQ3K.Values; ++k)
        {
            int l = levels[k];
            if (l > 3)
            {
                b.HMask[k % 32] |= (byte)(1 << (k / 32));
                l -= 4;
            }
            low[k] = (byte)l;
        }
        Q2K.PackTwoBit(low, b.Qs);
    }

    public static float DotQ8K(ReadOnlySpan<BlockQ3K> x, ReadOnlySpan<BlockQ8K> y)
    {
        float sumf = 0;
        for (int i = 0; i < x.Length; ++i)
        {
            ref readonly BlockQ3K b = ref x[i];
            ref readonly BlockQ8K a = ref y[i];
            int isum = 0;
            for (int g = 0; g < 16; ++g)
            {
                int isuml = 0;
                for (int l = 0; l < 16; ++l) isuml += a.Qs[16 * g + l] * Level(b, 16 * g + l);
                isum += GroupScale(b.Scales, g) * isuml;
            }
            sumf += (float)b.D * a.D * isum;
        }
        return sumf;
    }
}
