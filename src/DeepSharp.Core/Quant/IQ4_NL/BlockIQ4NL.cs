using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_iq4_nl</c> (18 bytes): 32 values = D · Grid[nibble], a non-uniform 4-bit grid (nibble layout as Q4_0).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockIQ4NL
{
    public const int Values = 32;
    public const int Bytes = 18;

    /// <summary>Scale.</summary>
    public Half D;
    /// <summary>Grid indices, two per byte.</summary>
    public QuantBytes16 Qs;
}

/// <summary>Scalar reference for IQ4_NL (dequantize only) and the shared non-linear grid.</summary>
internal static class IQ4NL
{
    /// <summary>ggml <c>kvalues_iq4nl</c>: the 16 signed levels both IQ4_NL and IQ4_XS index.</summary>
    public static ReadOnlySpan<sbyte> Grid => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    public static void Dequantize(ReadOnlySpan<BlockIQ4NL> blocks, Span<float> y)
    {
        const int half = BlockIQ4NL.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockIQ4NL b = ref blocks[i];
            float d = (float)b.D;
            Span<float> yb = y.Slice(i * BlockIQ4NL.Values, BlockIQ4NL.Values);
            for (int j = 0; j < half; ++j)
            {
                yb[j] = d * Grid[b.Qs[j] & 0xF];
                yb[j + half] = d * Grid[b.Qs[j] >> 4];
            }
        }
    }

    /// <summary>Integer dot with Q8_0 activations (ggml_vec_dot_iq4_nl_q8_0).</summary>
    public static float DotQ8_0(ReadOnlySpan<BlockIQ4NL> x, ReadOnlySpan<BlockQ8_0> y)
    {
        const int half = BlockIQ4NL.Values / 2;
        float sumf = 0;
        for (int ib = 0; ib < x.Length; ++ib)
        {
            float d = (float)y[ib].D * (float)x[ib].D;
            int sumi1 = 0, sumi2 = 0;
            for (int j = 0; j < half; ++j)
            {
                sumi1 += y[ib].Qs[j] * Grid[x[ib].Qs[j] & 0xf];
                sumi2 += y[ib].Qs[j + half] * Grid[x[ib].Qs[j] >> 4];
            }
            sumf += d * (sumi1 + sumi2);
        }
        return sumf;
    }
}
