using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// ggml <c>block_q5_0</c> (22 bytes): 32 values = D · (q − 16) with 5-bit q. Low nibbles as Q4_0; bit j of the
/// little-endian 32-bit Qh is the fifth bit of value j.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5_0
{
    public const int Values = 32;
    public const int Bytes = 22;

    /// <summary>Scale.</summary>
    public Half D;
    /// <summary>Fifth bits, one per value.</summary>
    public QuantBytes4 Qh;
    /// <summary>Low 4 bits, two values per byte.</summary>
    public QuantBytes16 Qs;
}

/// <summary>Scalar reference for Q5_0.</summary>
internal static class Q5_0
{
    public static void Dequantize(ReadOnlySpan<BlockQ5_0> blocks, Span<float> y)
    {
        const int half = BlockQ5_0.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ5_0 b = ref blocks[i];
            float d = (float)b.D;
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(b.Qh);
            Span<float> yb = y.Slice(i * BlockQ5_0.Values, BlockQ5_0.Values);
            for (int j = 0; j < half; ++j)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                yb[j] = (((b.Qs[j] & 0x0F) | h0) - 16) * d;
                yb[j + half] = (((b.Qs[j] >> 4) | h1) - 16) * d;
            }
        }
    }

    /// <summary>As Q4_0 with 5 bits: scale = max/−16, quants = min(31, truncate(x/d + 16.5)).</summary>
    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ5_0> blocks)
    {
        const int half = BlockQ5_0.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ5_0.Values, BlockQ5_0.Values);
            float amax = 0, max = 0;
            foreach (float v in xb)
            {
                if (amax < MathF.Abs(v)) { amax = MathF.Abs(v); max = v; }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ5_0 b = ref blocks[i];
            b.D = (Half)d;
            uint qh = 0;
            for (int j = 0; j < half; ++j)
            {
                int q0 = Math.Min(31, (int)(xb[j] * id + 16.5f));
                int q1 = Math.Min(31, (int)(xb[half + j] * id + 16.5f));
                b.Qs[j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + half);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(b.Qh, qh);
        }
    }

    public static float DotQ8_0(ReadOnlySpan<BlockQ5_0> x, ReadOnlySpan<BlockQ8_0> y)
    {
        const int half = BlockQ5_0.Values / 2;
        float sumf = 0;
        for (int ib = 0; ib < x.Length; ++ib)
        {
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x[ib].Qh);
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < half; ++j)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                sumi0 += (((x[ib].Qs[j] & 0x0F) | h0) - 16) * y[ib].Qs[j];
                sumi1 += (((x[ib].Qs[j] >> 4) | h1) - 16) * y[ib].Qs[j + half];
            }
            sumf += ((float)x[ib].D * (float)y[ib].D) * (sumi0 + sumi1);
        }
        return sumf;
    }
}
