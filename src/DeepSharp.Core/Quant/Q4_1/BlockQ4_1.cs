using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>ggml <c>block_q4_1</c> (20 bytes): 32 values = D · nibble + M (nibble layout as Q4_0).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_1
{
    public const int Values = 32;
    public const int Bytes = 20;

    /// <summary>Scale.</summary>
    public Half D;
    /// <summary>Minimum (added).</summary>
    public Half M;
    /// <summary>4-bit quants, two per byte.</summary>
    public QuantBytes16 Qs;
}

/// <summary>Scalar reference for Q4_1.</summary>
internal static class Q4_1
{
    public static void Dequantize(ReadOnlySpan<BlockQ4_1> blocks, Span<float> y)
    {
        const int half = BlockQ4_1.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ref readonly BlockQ4_1 b = ref blocks[i];
            float d = (float)b.D, m = (float)b.M;
            Span<float> yb = y.Slice(i * BlockQ4_1.Values, BlockQ4_1.Values);
            for (int j = 0; j < half; ++j)
            {
                yb[j] = (b.Qs[j] & 0x0F) * d + m;
                yb[j + half] = (b.Qs[j] >> 4) * d + m;
            }
        }
    }

    /// <summary>Min/max over the block: scale = (max − min)/15, quants = truncate((x − min)/d + 0.5).</summary>
    public static void Quantize(ReadOnlySpan<float> x, Span<BlockQ4_1> blocks)
    {
        const int half = BlockQ4_1.Values / 2;
        for (int i = 0; i < blocks.Length; i++)
        {
            ReadOnlySpan<float> xb = x.Slice(i * BlockQ4_1.Values, BlockQ4_1.Values);
            float min = float.MaxValue, max = -float.MaxValue;
            foreach (float v in xb)
            {
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / ((1 << 4) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            ref BlockQ4_1 b = ref blocks[i];
            b.D = (Half)d;
            b.M = (Half)min;
            for (int j = 0; j < half; ++j)
            {
                float x0 = (xb[j] - min) * id;
                float x1 = (xb[half + j] - min) * id;
                int q0 = Math.Min(15, (int)(x0 + 0.5f));
                int q1 = Math.Min(15, (int)(x1 + 0.5f));
                b.Qs[j] = (byte)(q0 | (q1 << 4));
            }
        }
    }

    /// <summary>ggml_vec_dot_q4_1_q8_1: d·d·Σ q·q8 + m·s (s carries d8 · Σ q8).</summary>
    public static float DotQ8_1(ReadOnlySpan<BlockQ4_1> x, ReadOnlySpan<BlockQ8_1> y)
    {
        const int half = BlockQ4_1.Values / 2;
        float sumf = 0;
        for (int ib = 0; ib < x.Length; ++ib)
        {
            int sumi0 = 0, sumi1 = 0;
            for (int j = 0; j < half; ++j)
            {
                sumi0 += (x[ib].Qs[j] & 0x0F) * y[ib].Qs[j];
                sumi1 += (x[ib].Qs[j] >> 4) * y[ib].Qs[j + half];
            }
            sumf += ((float)x[ib].D * (float)y[ib].D) * (sumi0 + sumi1) + (float)x[ib].M * (float)y[ib].S;
        }
        return sumf;
    }
}
