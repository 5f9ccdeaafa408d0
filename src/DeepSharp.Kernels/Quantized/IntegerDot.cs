using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DeepSharp.Core.Quant;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Activations quantized to int8 blocks (Q8_0, Q8_1, Q8_K) exactly as llama.cpp's CPU backend quantizes the
/// right-hand side of a product, one row per token. Scales are kept as the floats ggml reads back (f16-rounded
/// for Q8_0/Q8_1).
/// </summary>
public sealed class Int8Activations(int maxTokens, int maxCols)
{
    private readonly sbyte[] _qs = new sbyte[checked(maxTokens * maxCols)];
    private readonly float[] _d = new float[checked(maxTokens * maxCols / 32 + maxTokens)];
    private readonly float[] _s = new float[checked(maxTokens * maxCols / 32 + maxTokens)];
    private int _cols;

    /// <summary>Quantizes the first <paramref name="nTok"/> rows of x [nTok, cols] to <paramref name="format"/>.</summary>
    public void Quantize(QuantType format, float[] x, int nTok, int cols)
    {
        _cols = cols;
        int block = format == QuantType.Q8_K ? 256 : 32;
        for (int t = 0; t < nTok; t++)
            for (int b = 0; b < cols / block; b++)
            {
                var src = x.AsSpan(t * cols + b * block, block);
                var q = _qs.AsSpan(t * cols + b * block, block);
                int at = t * (cols / 32) + b;
                if (format == QuantType.Q8_K) _d[at] = QuantizeQ8K(src, q);
                else (_d[at], _s[at]) = QuantizeQ8(src, q);
            }
    }

    public ReadOnlySpan<sbyte> Quants(int token) => _qs.AsSpan(token * _cols, _cols);
    public ReadOnlySpan<float> Scales(int token) => _d.AsSpan(token * (_cols / 32), _cols / 32);
    public ReadOnlySpan<float> Sums(int token) => _s.AsSpan(token * (_cols / 32), _cols / 32);

    // quantize_row_q8_0 / q8_1 (x86): q = round-half-even(x·127/amax), d stored as f16; q8_1 also stores
    // s = f16(d·Σq) with the unrounded d.
    private static (float D, float S) QuantizeQ8(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float amax = 0;
        foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
        float d = amax / 127f, id = amax != 0 ? 127f / amax : 0f;
        int sum = 0;
        for (int j = 0; j < x.Length; j++)
        {
            int v = (int)MathF.Round(x[j] * id, MidpointRounding.ToEven);
            q[j] = (sbyte)v;
            sum += v;
        }
        return ((float)(Half)d, (float)(Half)(d * sum));
    }

    // quantize_row_q8_K: scale from the signed element of largest magnitude, iscale = −127/max, q capped at 127.
    private static float QuantizeQ8K(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float amax = 0, max = 0;
        foreach (float v in x)
            if (MathF.Abs(v) > amax) { amax = MathF.Abs(v); max = v; }
        if (amax == 0) { q.Clear(); return 0; }
        float iscale = -127f / max;
        for (int j = 0; j < x.Length; j++) q[j] = (sbyte)Math.Min(127, (int)MathF.Round(iscale * x[j], MidpointRounding.ToEven));
        return 1f / iscale;
    }
}

/// <summary>
/// Row · quantized activations with llama.cpp's integer dot products (its AVX2/AVX-512 vec_dot kernels): per
/// block, exact integer sums in 8 lanes of 4 consecutive products, each lane accumulated in float with one fused
/// multiply-add by the block's combined scale, then the lanes reduced in ggml's pairwise order. The result is
/// bit-identical to llama.cpp's, which matters because the next layer quantizes it again: a last-bit difference
/// can move an element to the next int8 step and grow into a different greedy token.
/// </summary>
[SkipLocalsInit]
public static class IntegerDot
{
    /// <summary>Weight types computed here; others use the decoded-row float path.</summary>
    public static bool Supports(QuantType weight) => weight is QuantType.Q8_0 or QuantType.Q5_1 or QuantType.Q6_K;

    public static float Dot(QuantType weight, ReadOnlySpan<byte> row, Int8Activations x, int token) => weight switch
    {
        QuantType.Q8_0 => DotQ8_0(row, x.Quants(token), x.Scales(token)),
        QuantType.Q5_1 => DotQ5_1(row, x.Quants(token), x.Scales(token), x.Sums(token)),
        QuantType.Q6_K => DotQ6K(row, x.Quants(token), x.Scales(token)),
        _ => throw new NotSupportedException($"no integer dot for {weight}"),
    };

    private static float Half(ReadOnlySpan<byte> b, int at) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(b[at..]));

    // hsum_float_8: (l0+l4 + l2+l6) + (l1+l5 + l3+l7)
    private static float Reduce(ReadOnlySpan<float> l) => ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));

    // block_q8_0: f16 d, int8 q[32]
    private static float DotQ8_0(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xd)
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        for (int b = 0; b < xd.Length; b++)
        {
            var blk = row.Slice(b * 34, 34);
            float d = Half(blk, 0) * xd[b];
            var wq = MemoryMarshal.Cast<byte, sbyte>(blk[2..]);
            var q = xq.Slice(b * 32, 32);
            for (int k = 0; k < 8; k++)
            {
                int j = 4 * k;
                int s = wq[j] * q[j] + wq[j + 1] * q[j + 1] + wq[j + 2] * q[j + 2] + wq[j + 3] * q[j + 3];
                acc[k] = MathF.FusedMultiplyAdd(d, s, acc[k]);
            }
        }
        return Reduce(acc);
    }

    // block_q5_1: f16 d, f16 m, u32 qh, u8 qs[16]; element j = low nibble of qs[j] | bit j of qh << 4, j+16 = high nibble | bit j+16
    private static float DotQ5_1(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xd, ReadOnlySpan<float> xs)
    {
        Span<float> acc = stackalloc float[8];
        Span<int> w = stackalloc int[32];
        acc.Clear();
        float mins = 0;
        for (int b = 0; b < xd.Length; b++)
        {
            var blk = row.Slice(b * 24, 24);
            float dw = Half(blk, 0), m = Half(blk, 2);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(blk[4..]);
            var qs = blk.Slice(8, 16);
            for (int j = 0; j < 16; j++)
            {
                w[j] = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
                w[j + 16] = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            }
            mins = MathF.FusedMultiplyAdd(m, xs[b], mins);
            float d = dw * xd[b];
            var q = xq.Slice(b * 32, 32);
            for (int k = 0; k < 8; k++)
            {
                int j = 4 * k;
                int s = w[j] * q[j] + w[j + 1] * q[j + 1] + w[j + 2] * q[j + 2] + w[j + 3] * q[j + 3];
                acc[k] = MathF.FusedMultiplyAdd(s, d, acc[k]);
            }
        }
        return Reduce(acc) + mins;
    }

    // block_q6_K: ql[128], qh[64], int8 scales[16], f16 d. llama.cpp multiplies the unsigned 6-bit values and
    // takes the −32 offset out afterwards from the activation's 16-value sums: lane k holds the products of the
    // elements e with (e mod 32) / 4 == k minus 32·(scale·sum) of sub-blocks 2k and 2k+1.
    private static float DotQ6K(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> xq, ReadOnlySpan<float> xd)
    {
        Span<float> acc = stackalloc float[8];
        Span<int> lanes = stackalloc int[8];
        acc.Clear();
        for (int b = 0; b < xq.Length / 256; b++)
        {
            var blk = row.Slice(b * 210, 210);
            var sc = MemoryMarshal.Cast<byte, sbyte>(blk.Slice(192, 16));
            var q8 = xq.Slice(b * 256, 256);
            for (int k = 0; k < 8; k++)
                lanes[k] = -32 * (sc[2 * k] * SubBlockSum(q8, 2 * k) + sc[2 * k + 1] * SubBlockSum(q8, 2 * k + 1));
            for (int n = 0; n < 2; n++)
            {
                var ql = blk.Slice(64 * n, 64);
                var qh = blk.Slice(128 + 32 * n, 32);
                int e0 = 128 * n;
                for (int l = 0; l < 32; l++)
                {
                    int q0 = (ql[l] & 0xF) | ((qh[l] & 3) << 4);
                    int q1 = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
                    int q2 = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
                    int q3 = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
                    lanes[l / 4] += sc[(e0 + l) / 16] * q0 * q8[e0 + l]
                        + sc[(e0 + 32 + l) / 16] * q1 * q8[e0 + 32 + l]
                        + sc[(e0 + 64 + l) / 16] * q2 * q8[e0 + 64 + l]
                        + sc[(e0 + 96 + l) / 16] * q3 * q8[e0 + 96 + l];
                }
            }
            float d = xd[b] * Half(blk, 208);
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lanes[k], acc[k]);
        }
        return Reduce(acc);
    }

    // block_q8_K's bsums: the sum of the 16 quants of sub-block j.
    private static int SubBlockSum(ReadOnlySpan<sbyte> q8, int j)
    {
        int sum = 0;
        foreach (sbyte v in q8.Slice(16 * j, 16)) sum += v;
        return sum;
    }
}
