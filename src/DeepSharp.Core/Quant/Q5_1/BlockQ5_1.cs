using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>ggml <c>block_q5_1</c> (24 bytes): 32 values = D · q + M with 5-bit q (bit layout as Q5_0).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5_1
{
    public const int Values = 32;
    public const int Bytes = 24;

    /// <summary>Scale.</summary>
    public Half D;
    /// <summary>Minimum (added).</summary>
    public Half M;
    /// <summary>Fifth bits, one per value.</summary>
    public QuantBytes4 Qh;
    /// <summary>Low 4 bits, two values per byte.</summary>
    public QuantBytes16 Qs;
}

/// <summary>Scalar reference for Q5_1.</summary>
internal static class Q5_1
{
    public static void Dequantize(ReadOnlySpan<BlockQ5_1> blocks, Span<float> y)
    {
        const int half = BlockQ5_1.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ5_1 b = ref blocks[i];
            float d = (float)b.D, m = (float)b.M;
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(b.Qh);
            Span<float> yb = y.Slice(i * BlockQ5_1.Values, BlockQ5_1.Values);
            for (int j = 0; j < half; ++j)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                yb[j] = ((b.Qs[j] & 0x0F) | h0) * d + m;
                yb[j + half] = ((b.Qs[j] >> 4) | h1) * d + m;
            }
        }
    }

    /// <summary>Min/max: scale = (max − min)/31, quants = truncate((x − min)/d + 0.5).</summary>
    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ5_1> blocks)
    {
        const int half = BlockQ5_1.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ5_1.Values, BlockQ5_1.Values);
            float min = float.MaxValue, max = -float.MaxValue;
            foreach (float v in xb)
            {
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / ((1 << 5) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ5_1 b = ref blocks[i];
            b.D = (Half)d;
            b.M = (Half)min;
            uint qh = 0;
            for (int j = 0; j < half; ++j)
            {
                int q0 = (byte)((xb[j] - min) * id + 0.5f);
                int q1 = (byte)((xb[half + j] - min) * id + 0.5f);
                b.Qs[j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + half);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(b.Qh, qh);
        }
    }

    public static float DotQ8_1(ReadOnlySpan<BlockQ5_1> x, ReadOnlySpan<BlockQ8_1> y)
    {
        const int half = BlockQ5_1.Values / 2;
        float sumf = 0;
        for (int ib = 0; ib < x.Length; ++ib)
        {
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(x[ib].Qh);
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < half; ++j)
            {
                int h0 = (int)((qh >> j) << 4) & 0x10;
                int h1 = (int)(qh >> (j + 12)) & 0x10;
                sumi0 += ((x[ib].Qs[j] & 0xF) | h0) * y[ib].Qs[j];
                sumi1 += ((x[ib].Qs[j] >> 4) | h1) * y[ib].Qs[j + half];
            }
            sumf += ((float)x[ib].D * (float)y[ib].D) * (sumi0 + sumi1) + (float)x[ib].M * (float)y[ib].S;
        }
        return sumf;
    }
}
