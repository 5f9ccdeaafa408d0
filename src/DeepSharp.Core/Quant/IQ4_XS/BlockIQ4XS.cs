using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_iq4_xs</c> (136 bytes): 256 values in 8 sub-blocks of 32, value = D·(ls − 32)·Grid[nibble] with a
/// 6-bit sub-block scale ls (low 4 bits in ScalesL, high 2 bits in ScalesH). Nibble layout per 16 bytes as IQ4_NL.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockIQ4XS
{
    public const int Values = 256;
    public const int Bytes = 136;

    /// <summary>Super-block scale.</summary>
    public Half D;
    /// <summary>High 2 bits of the eight sub-block scales.</summary>
    public ushort ScalesH;
    /// <summary>Low 4 bits of the eight sub-block scales.</summary>
    public QuantBytes4 ScalesL;
    /// <summary>Grid indices, two per byte.</summary>
    public QuantBytes128 Qs;
}

/// <summary>Scalar reference for IQ4_XS (dequantize and dot only).</summary>
internal static class IQ4XS
{
    private static int SubBlockScale(in BlockIQ4XS b, int ib) =>
        ((b.ScalesL[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((b.ScalesH >> (2 * ib)) & 3) << 4);

    public static void Dequantize(ReadOnlySpan<BlockIQ4XS> blocks, Span<float> y)
    {
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockIQ4XS b = ref blocks[i];
            float d = (float)b.D;
            for (int ib = 0; ib < 8; ++ib)
            {
                float dl = d * (SubBlockScale(b, ib) - 32);
                Span<float> ys = y.Slice(i * BlockIQ4XS.Values + 32 * ib, 32);
                for (int j = 0; j < 16; ++j)
                {
                    ys[j] = dl * IQ4NL.Grid[b.Qs[16 * ib + j] & 0xf];
                    ys[j + 16] = dl * IQ4NL.Grid[b.Qs[16 * ib + j] >> 4];
                }
            }
        }
    }

    public static float DotQ8K(ReadOnlySpan<BlockIQ4XS> x, ReadOnlySpan<BlockQ8K> y)
    {
        float sumf = 0;
        for (int i = 0; i < x.Length; ++i)
        {
            ref readonly BlockIQ4XS b = ref x[i];
            ref readonly BlockQ8K a = ref y[i];
            float d4d8 = (float)b.D * a.D;
            for (int ib = 0; ib < 8; ++ib)
            {
                int sumi = 0;
                for (int j = 0; j < 16; ++j)
                {
                    sumi += a.Qs[32 * ib + j] * IQ4NL.Grid[b.Qs[16 * ib + j] & 0xf];
                    sumi += a.Qs[32 * ib + j + 16] * IQ4NL.Grid[b.Qs[16 * ib + j] >> 4];
                }
                sumf += d4d8 * (SubBlockScale(b, ib) - 32) * sumi;
            }
        }
        return sumf;
    }
}
