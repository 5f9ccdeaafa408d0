using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// The scalar references of <see cref="IntegerDot"/>, written as ggml's AVX2 vec_dot kernels compute: per block,
/// 8 integer lanes (lane k holds the products of the elements e with (e mod 32) / 4 == k, times their sub-block
/// scale), each lane accumulated in float by one fused multiply-add with the block's combined scale, the lanes
/// reduced pairwise at the end. Integer sums are exact, so every vector path must produce exactly these lanes.
/// </summary>
[SkipLocalsInit]
internal static class IntegerDotScalar
{
    internal static float Half(ReadOnlySpan<byte> b, int at) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(b[at..]));

    // hsum_float_8: (l0+l4 + l2+l6) + (l1+l5 + l3+l7)
    internal static float Reduce(ReadOnlySpan<float> l) => ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));

    // The 4-lane min accumulator of the Q4_K kernel: (m0 + m2) + (m1 + m3).
    internal static float Reduce4(ReadOnlySpan<float> m) => (m[0] + m[2]) + (m[1] + m[3]);

    // block_q8_0: f16 d, int8 q[32]
    public static float Q8_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        Span<float> acc = stackalloc float[8];
        acc.Clear();
        for (int b = 0; b < x.Scales.Length; b++)
        {
            var blk = row.Slice(b * 34, 34);
            var wq = MemoryMarshal.Cast<byte, sbyte>(blk[2..]);
            var q = x.Quants.Slice(b * 32, 32);
            float d = Half(blk, 0) * x.Scales[b];
            for (int k = 0; k < 8; k++)
            {
                int j = 4 * k;
                int s = wq[j] * q[j] + wq[j + 1] * q[j + 1] + wq[j + 2] * q[j + 2] + wq[j + 3] * q[j + 3];
                acc[k] = MathF.FusedMultiplyAdd(d, s, acc[k]);
            }
        }
        return Reduce(acc);
    }

    // block_q4_0: f16 d, u8 qs[16]; element j = low nibble of qs[j] − 8, j+16 = high nibble − 8
    public static float Q4_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        Span<float> acc = stackalloc float[8];
        Span<int> w = stackalloc int[32];
        acc.Clear();
        for (int b = 0; b < x.Scales.Length; b++)
        {
            var blk = row.Slice(b * 18, 18);
            for (int j = 0; j < 16; j++)
            {
                w[j] = (blk[2 + j] & 0xF) - 8;
                w[j + 16] = (blk[2 + j] >> 4) - 8;
            }
            float d = Half(blk, 0) * x.Scales[b];
            AccumulateBlock(w, x.Quants.Slice(b * 32, 32), d, acc);
        }
        return Reduce(acc);
    }

    // llama.cpp repacks Q4_0 matrices whose row count is a multiple of 8 (block_q4_0x8); its AVX2 gemv/gemm keep
    // one float accumulator per row and add each block's whole integer sum times f16(d)·d_x.
    public static float Q4_0x8(ReadOnlySpan<byte> row, in Int8Row x)
    {
        float acc = 0;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            var blk = row.Slice(b * 18, 18);
            var q = x.Quants.Slice(b * 32, 32);
            int s = 0;
            for (int j = 0; j < 16; j++) s += ((blk[2 + j] & 0xF) - 8) * q[j] + ((blk[2 + j] >> 4) - 8) * q[j + 16];
            acc = MathF.FusedMultiplyAdd(s, Half(blk, 0) * x.Scales[b], acc);
        }
        return acc;
    }

    // block_q5_0: f16 d, u32 qh, u8 qs[16]; element j = (low nibble of qs[j] | bit j of qh << 4) − 16,
    // j+16 = (high nibble | bit j+16 << 4) − 16; summed as Q8_0 is (ggml unpacks it to signed bytes first).
    public static float Q5_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        Span<float> acc = stackalloc float[8];
        Span<int> w = stackalloc int[32];
        acc.Clear();
        for (int b = 0; b < x.Scales.Length; b++)
        {
            var blk = row.Slice(b * 22, 22);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(blk[2..]);
            for (int j = 0; j < 16; j++)
            {
                w[j] = ((blk[6 + j] & 0xF) | (int)(((qh >> j) & 1) << 4)) - 16;
                w[j + 16] = ((blk[6 + j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4)) - 16;
            }
            AccumulateBlock(w, x.Quants.Slice(b * 32, 32), Half(blk, 0) * x.Scales[b], acc);
        }
        return Reduce(acc);
    }

    // block_q5_1: f16 d, f16 m, u32 qh, u8 qs[16]; element j = low nibble of qs[j] | bit j of qh << 4, j+16 = high nibble | bit j+16
    public static float Q5_1(ReadOnlySpan<byte> row, in Int8Row x)
    {
        Span<float> acc = stackalloc float[8];
        Span<int> w = stackalloc int[32];
        acc.Clear();
        float mins = 0;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            var blk = row.Slice(b * 24, 24);
            float dw = Half(blk, 0), m = Half(blk, 2);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(blk[4..]);
            for (int j = 0; j < 16; j++)
            {
                w[j] = (blk[8 + j] & 0xF) | (int)(((qh >> j) & 1) << 4);
                w[j + 16] = (blk[8 + j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            }
            mins = MathF.FusedMultiplyAdd(m, x.Sums[b], mins);
            AccumulateBlock(w, x.Quants.Slice(b * 32, 32), dw * x.Scales[b], acc);
        }
        return Reduce(acc) + mins;
    }

    // acc[k] ← fma(d, Σ_{j=4k..4k+3} w[j]·q[j], acc[k])
    private static void AccumulateBlock(ReadOnlySpan<int> w, ReadOnlySpan<sbyte> q, float d, Span<float> acc)
    {
        for (int k = 0; k < 8; k++)
        {
            int j = 4 * k;
            int s = w[j] * q[j] + w[j + 1] * q[j + 1] + w[j + 2] * q[j + 2] + w[j + 3] * q[j + 3];
            acc[k] = MathF.FusedMultiplyAdd(d, s, acc[k]);
        }
    }

    // block_q4_K (144 B): f16 d, f16 dmin, scales[12], qs[128]; per 64 values: low nibbles then high nibbles.
    // Mins are taken out through the activation's sums: 4 float lanes, lane i for sub-blocks 2i and 2i+1.
    public static float Q4K(ReadOnlySpan<byte> row, in Int8Row x) => KQuant(row, x, 144, hasHighBit: false);

    // block_q5_K (176 B): f16 d, f16 dmin, scales[12], qh[32], qs[128]; the 5th bit of chunk c from qh bits 2c, 2c+1.
    // Mins are one float running sum.
    public static float Q5K(ReadOnlySpan<byte> row, in Int8Row x) => KQuant(row, x, 176, hasHighBit: true);

    // llama.cpp repacks Q4_K matrices whose row count is a multiple of 8 (block_q4_Kx8) and its AVX2 gemv/gemm
    // keep one float accumulator per row: per block, the whole integer sum times f16(d)·d_x, and the mins apart.
    public static float Q4Kx8(ReadOnlySpan<byte> row, in Int8Row x)
    {
        Span<int> lanes = stackalloc int[8];
        Span<int> mins = stackalloc int[4];
        float acc = 0, accMin = 0;
        for (int b = 0; b < x.Quants.Length / 256; b++)
        {
            var blk = row.Slice(b * 144, 144);
            KLanes(blk, x, b, hasHighBit: false, lanes, mins);
            int isum = lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
            int imin = mins[0] + mins[1] + mins[2] + mins[3];
            acc = MathF.FusedMultiplyAdd(isum, Half(blk, 0) * x.Scales[b], acc);
            accMin = MathF.FusedMultiplyAdd(imin, Half(blk, 2) * x.Scales[b], accMin);
        }
        return acc - accMin;
    }

    private static void KLanes(ReadOnlySpan<byte> blk, in Int8Row x, int b, bool hasHighBit, Span<int> lanes, Span<int> mins)
    {
        var scales = blk.Slice(4, 12);
        var qh = blk.Slice(16, 32);
        var qs = blk.Slice(hasHighBit ? 48 : 16, 128);
        var q8 = x.Quants.Slice(b * 256, 256);
        var bs = x.BlockSums.Slice(b * 16, 16);
        lanes.Clear();
        for (int c = 0; c < 4; c++)
        {
            var (sc1, m1) = RowDecoder.ScaleMinK4(2 * c, scales);
            var (sc2, m2) = RowDecoder.ScaleMinK4(2 * c + 1, scales);
            mins[c] = m1 * (bs[4 * c] + bs[4 * c + 1]) + m2 * (bs[4 * c + 2] + bs[4 * c + 3]);
            int bitLo = 1 << (2 * c), bitHi = 2 << (2 * c);
            for (int l = 0; l < 32; l++)
            {
                int lo = qs[32 * c + l] & 0xF, hi = qs[32 * c + l] >> 4;
                if (hasHighBit)
                {
                    lo += (qh[l] & bitLo) != 0 ? 16 : 0;
                    hi += (qh[l] & bitHi) != 0 ? 16 : 0;
                }
                lanes[l / 4] += sc1 * lo * q8[64 * c + l] + sc2 * hi * q8[64 * c + 32 + l];
            }
        }
    }

    private static float KQuant(ReadOnlySpan<byte> row, in Int8Row x, int blockBytes, bool hasHighBit)
    {
        Span<float> acc = stackalloc float[8];
        Span<float> accMin = stackalloc float[4];
        Span<int> lanes = stackalloc int[8];
        Span<int> mins = stackalloc int[4];
        acc.Clear();
        accMin.Clear();
        float summs = 0;
        for (int b = 0; b < x.Quants.Length / 256; b++)
        {
            var blk = row.Slice(b * blockBytes, blockBytes);
            float d = x.Scales[b] * Half(blk, 0), dmin = -x.Scales[b] * Half(blk, 2);
            KLanes(blk, x, b, hasHighBit, lanes, mins);
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lanes[k], acc[k]);
            if (hasHighBit) summs = MathF.FusedMultiplyAdd(dmin, mins[0] + mins[1] + mins[2] + mins[3], summs);
            else for (int i = 0; i < 4; i++) accMin[i] = MathF.FusedMultiplyAdd(dmin, mins[i], accMin[i]);
        }
        return Reduce(acc) + (hasHighBit ? summs : Reduce4(accMin));
    }

    // block_q6_K: ql[128], qh[64], int8 scales[16], f16 d. llama.cpp multiplies the unsigned 6-bit values and
    // takes the −32 offset out afterwards from the activation's 16-value sums: lane k holds the products of the
    // elements e with (e mod 32) / 4 == k minus 32·(scale·sum) of sub-blocks 2k and 2k+1.
    public static float Q6K(ReadOnlySpan<byte> row, in Int8Row x)
    {
        Span<float> acc = stackalloc float[8];
        Span<int> lanes = stackalloc int[8];
        acc.Clear();
        for (int b = 0; b < x.Quants.Length / 256; b++)
        {
            var blk = row.Slice(b * 210, 210);
            var sc = MemoryMarshal.Cast<byte, sbyte>(blk.Slice(192, 16));
            var q8 = x.Quants.Slice(b * 256, 256);
            var bs = x.BlockSums.Slice(b * 16, 16);
            for (int k = 0; k < 8; k++)
                lanes[k] = -32 * (sc[2 * k] * bs[2 * k] + sc[2 * k + 1] * bs[2 * k + 1]);
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
            float d = x.Scales[b] * Half(blk, 208);
            for (int k = 0; k < 8; k++) acc[k] = MathF.FusedMultiplyAdd(d, lanes[k], acc[k]);
        }
        return Reduce(acc);
    }
}
