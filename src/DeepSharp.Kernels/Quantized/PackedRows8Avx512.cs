using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// AVX-512 BW kernels of <see cref="PackedRows8"/>: one 64-byte load is 8 rows × 16 nibbles; vpmaddubsw against
/// the token's broadcast 8 activation bytes leaves row r's products in 64-bit lane r, so a block's sums need no
/// horizontal reduction, only a pairwise add of each lane's two int32 halves at the end of the block.
/// </summary>
[SkipLocalsInit]
internal static unsafe class PackedRows8Avx512
{
    private static readonly Vector512<byte> ScalesLo = Vector512.Create(PackedRows8.ScaleSpread(64, 0, high: false));
    private static readonly Vector512<byte> ScalesHi = Vector512.Create(PackedRows8.ScaleSpread(64, 0, high: true));

    // Lane r ← lanes 2r + 2r+1 (exact int32).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PairSums(Vector512<int> s) =>
        Avx512F.ConvertToVector256Int32((s + Avx512F.ShiftRightLogical(s.AsInt64(), 32).AsInt32()).AsInt64());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Products(Vector512<byte> nibbles, sbyte* x) =>
        Avx512BW.MultiplyAddAdjacent(nibbles, PackedRows8.Broadcast512(x));

    [MethodImpl(KernelLoop.Options)]
    public static void Q4K(Rows8Pack p, int g0, int g1, in TileX x, float* y, int yStride)
    {
        if (x.Tokens == PackedRows8.TileTokens)
        {
            Q4KFourTokens(p, g0, g1, x, y, yStride);
            return;
        }
        if (x.Tokens == 1)
        {
            Q4KOneToken(p, g0, g1, x, y);
            return;
        }
        int nT = x.Tokens;
        var m4 = Vector512.Create((byte)0x0F);
        var sumi = stackalloc Vector512<int>[PackedRows8.TileTokens];
        var acc = stackalloc Vector256<float>[2 * PackedRows8.TileTokens];
        int blocks = p.Blocks;
        byte* blk = p.Block(g0, 0);   // a running pointer (see Rows8Pack.Block)
        for (int g = g0; g < g1; g++)
        {
            for (int t = 0; t < 2 * nT; t++) acc[t] = Vector256<float>.Zero;
            for (int b = 0; b < blocks; b++, blk += Rows8Pack.Q4KBlockBytes)
            {
                KernelLoop.Prefetch(blk + PackedRows8.StreamPrefetchBytes, Rows8Pack.Q4KBlockBytes);
                Rows8Pack.Q4KParts(blk, out byte* quants, out byte* head);
                for (int t = 0; t < nT; t++) sumi[t] = Vector512<int>.Zero;
                for (int c = 0; c < 4; c++)
                {
                    byte* q = quants + 256 * c;
                    var v0 = Vector512.Load(q);
                    var v1 = Vector512.Load(q + 64);
                    var v2 = Vector512.Load(q + 128);
                    var v3 = Vector512.Load(q + 192);
                    var lo0 = v0 & m4; var hi0 = Avx512BW.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & m4;
                    var lo1 = v1 & m4; var hi1 = Avx512BW.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & m4;
                    var lo2 = v2 & m4; var hi2 = Avx512BW.ShiftRightLogical(v2.AsUInt16(), 4).AsByte() & m4;
                    var lo3 = v3 & m4; var hi3 = Avx512BW.ShiftRightLogical(v3.AsUInt16(), 4).AsByte() & m4;
                    var sc = Avx512F.BroadcastVector128ToVector512((int*)(head + Rows8Pack.ScalesOffset + 16 * c)).AsByte();
                    var scLo = Avx512BW.Shuffle(sc, ScalesLo).AsInt16();
                    var scHi = Avx512BW.Shuffle(sc, ScalesHi).AsInt16();
                    for (int t = 0; t < nT; t++)
                    {
                        sbyte* xc = x.Q(t) + 256 * b + 64 * c;
                        // ≤ 8 products of 15·127 per int16 lane: no saturation.
                        var pLo = (Products(lo0, xc) + Products(lo1, xc + 8)) + (Products(lo2, xc + 16) + Products(lo3, xc + 24));
                        var pHi = (Products(hi0, xc + 32) + Products(hi1, xc + 40)) + (Products(hi2, xc + 48) + Products(hi3, xc + 56));
                        sumi[t] += Avx512BW.MultiplyAddAdjacent(pLo, scLo) + Avx512BW.MultiplyAddAdjacent(pHi, scHi);
                    }
                }
                var (d, dmin) = PackedRows8.Q4KScales(head);
                for (int t = 0; t < nT; t++)
                {
                    var xd = Vector256.Create(x.Scale(t, b));
                    var mins = PackedRows8.Q4KMins(head, x.S(t) + 4 * b);
                    acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(PairSums(sumi[t])), d * xd, acc[t]);
                    acc[nT + t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(mins), dmin * xd, acc[nT + t]);
                }
            }
            for (int t = 0; t < nT; t++) (acc[t] - acc[nT + t]).Store(y + t * yStride + 8 * g);
        }
    }

    [MethodImpl(KernelLoop.Options)]
    public static void Q4_0(Rows8Pack p, int g0, int g1, in TileX x, float* y, int yStride)
    {
        if (x.Tokens == PackedRows8.TileTokens)
        {
            Q4_0FourTokens(p, g0, g1, x, y, yStride);
            return;
        }
        if (x.Tokens == 1)
        {
            Q4_0OneToken(p, g0, g1, x, y);
            return;
        }
        int nT = x.Tokens;
        var m4 = Vector512.Create((byte)0x0F);
        var acc = stackalloc Vector256<float>[PackedRows8.TileTokens];
        int blocks = p.Blocks;
        byte* blk = p.Block(g0, 0);   // a running pointer (see Rows8Pack.Block)
        for (int g = g0; g < g1; g++)
        {
            for (int t = 0; t < nT; t++) acc[t] = Vector256<float>.Zero;
            for (int b = 0; b < blocks; b++, blk += Rows8Pack.Q4_0BlockBytes)
            {
                KernelLoop.Prefetch(blk + PackedRows8.StreamPrefetchBytes, Rows8Pack.Q4_0BlockBytes);
                var (lo0, hi0, lo1, hi1) = Q4_0Nibbles(blk, m4);
                var d = PackedRows8.Q4_0Scales(blk);
                for (int t = 0; t < nT; t++)
                {
                    sbyte* xc = x.Q(t) + 32 * b;
                    var pr = (Products(lo0, xc) + Products(hi0, xc + 16)) + (Products(lo1, xc + 8) + Products(hi1, xc + 24));
                    var sums = PairSums(Avx512BW.MultiplyAddAdjacent(pr, Vector512<short>.One)) - Vector256.Create(x.S(t)[b]);
                    acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), d * Vector256.Create(x.Scale(t, b)), acc[t]);
                }
            }
            for (int t = 0; t < nT; t++) acc[t].Store(y + t * yStride + 8 * g);
        }
    }

    // The full tile (4 tokens) with every accumulator in a register: the 8 nibble vectors of a chunk, the 4 tokens'
    // integer sums and the 8 float accumulators fit AVX-512's 32 registers, so nothing goes through the stack.
    // Same float steps as the general loop above.
    private static void Q4KFourTokens(Rows8Pack p, int g0, int g1, in TileX x, float* y, int yStride)
    {
        var m4 = Vector512.Create((byte)0x0F);
        sbyte* x0 = x.Q(0), x1 = x.Q(1), x2 = x.Q(2), x3 = x.Q(3);
        int* s0 = x.S(0), s1 = x.S(1), s2 = x.S(2), s3 = x.S(3);
        float* d0 = (float*)x.Scales[0], d1 = (float*)x.Scales[1], d2 = (float*)x.Scales[2], d3 = (float*)x.Scales[3];
        var scalesLo = ScalesLo;
        var scalesHi = ScalesHi;
        long groupBytes = p.GroupBytes;
        int blocks = p.Blocks;
        byte* blk = p.Block(g0, 0);   // a running pointer (see Rows8Pack.Block)
        for (int g = g0; g < g1; g++)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> n0 = default, n1 = default, n2 = default, n3 = default;
            for (int b = 0; b < blocks; b++, blk += Rows8Pack.Q4KBlockBytes)
            {
                KernelLoop.Prefetch(blk + groupBytes, Rows8Pack.Q4KBlockBytes);
                Rows8Pack.Q4KParts(blk, out byte* quants, out byte* head);
                Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
                for (int c = 0; c < 4; c++)
                {
                    var n = Nibbles.Load(quants + 256 * c, m4);
                    var sc = Avx512F.BroadcastVector128ToVector512((int*)(head + Rows8Pack.ScalesOffset + 16 * c)).AsByte();
                    var scLo = Avx512BW.Shuffle(sc, scalesLo).AsInt16();
                    var scHi = Avx512BW.Shuffle(sc, scalesHi).AsInt16();
                    int at = 256 * b + 64 * c;
                    i0 += ChunkSums(n, scLo, scHi, x0 + at);
                    i1 += ChunkSums(n, scLo, scHi, x1 + at);
                    i2 += ChunkSums(n, scLo, scHi, x2 + at);
                    i3 += ChunkSums(n, scLo, scHi, x3 + at);
                }
                var (d, dmin) = PackedRows8.Q4KScales(head);
                Accumulate(i0, head, d, dmin, d0[b], s0 + 4 * b, ref a0, ref n0);
                Accumulate(i1, head, d, dmin, d1[b], s1 + 4 * b, ref a1, ref n1);
                Accumulate(i2, head, d, dmin, d2[b], s2 + 4 * b, ref a2, ref n2);
                Accumulate(i3, head, d, dmin, d3[b], s3 + 4 * b, ref a3, ref n3);
            }
            (a0 - n0).Store(y + 8 * g);
            (a1 - n1).Store(y + yStride + 8 * g);
            (a2 - n2).Store(y + 2 * yStride + 8 * g);
            (a3 - n3).Store(y + 3 * yStride + 8 * g);
        }
    }

    // Decode's one token with every sum in a register (the general loop above keeps them in stack arrays); the float
    // steps are the loop's.
    [MethodImpl(KernelLoop.Options)]
    private static void Q4KOneToken(Rows8Pack p, int g0, int g1, in TileX x, float* y)
    {
        var m4 = Vector512.Create((byte)0x0F);
        var (scalesLo, scalesHi) = (ScalesLo, ScalesHi);
        sbyte* x0 = x.Q(0);
        int* s0 = x.S(0);
        float* d0 = (float*)x.Scales[0];
        int blocks = p.Blocks;
        byte* blk = p.Block(g0, 0);   // a running pointer (see Rows8Pack.Block)
        for (int g = g0; g < g1; g++)
        {
            Vector256<float> a0 = default, n0 = default;
            for (int b = 0; b < blocks; b++, blk += Rows8Pack.Q4KBlockBytes)
            {
                KernelLoop.Prefetch(blk + PackedRows8.StreamPrefetchBytes, Rows8Pack.Q4KBlockBytes);
                Rows8Pack.Q4KParts(blk, out byte* quants, out byte* head);
                Vector512<int> i0 = default;
                for (int c = 0; c < 4; c++)
                {
                    var n = Nibbles.Load(quants + 256 * c, m4);
                    var sc = Avx512F.BroadcastVector128ToVector512((int*)(head + Rows8Pack.ScalesOffset + 16 * c)).AsByte();
                    i0 += ChunkSums(n, Avx512BW.Shuffle(sc, scalesLo).AsInt16(), Avx512BW.Shuffle(sc, scalesHi).AsInt16(), x0 + 256 * b + 64 * c);
                }
                var (d, dmin) = PackedRows8.Q4KScales(head);
                Accumulate(i0, head, d, dmin, d0[b], s0 + 4 * b, ref a0, ref n0);
            }
            (a0 - n0).Store(y + 8 * g);
        }
    }

    // One chunk's 8 nibble vectors: low nibbles (values 64c + 8k + j) then high nibbles (64c + 32 + 8k + j), k = 0..3.
    private readonly record struct Nibbles(
        Vector512<byte> Lo0, Vector512<byte> Lo1, Vector512<byte> Lo2, Vector512<byte> Lo3,
        Vector512<byte> Hi0, Vector512<byte> Hi1, Vector512<byte> Hi2, Vector512<byte> Hi3)
    {
        // The chunk's four 64-byte loads at q split into nibbles.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Nibbles Load(byte* q, Vector512<byte> m4)
        {
            var v0 = Vector512.Load(q);
            var v1 = Vector512.Load(q + 64);
            var v2 = Vector512.Load(q + 128);
            var v3 = Vector512.Load(q + 192);
            return new Nibbles(
                v0 & m4, v1 & m4, v2 & m4, v3 & m4,
                Avx512BW.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & m4, Avx512BW.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & m4,
                Avx512BW.ShiftRightLogical(v2.AsUInt16(), 4).AsByte() & m4, Avx512BW.ShiftRightLogical(v3.AsUInt16(), 4).AsByte() & m4);
        }
    }

    // Per row lane pair: Σ scale·(nibble·x) over the chunk's two 32-value sub-blocks (exact int32).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> ChunkSums(in Nibbles n, Vector512<short> scLo, Vector512<short> scHi, sbyte* xc)
    {
        // ≤ 8 products of 15·127 per int16 lane: no saturation.
        var pLo = (Products(n.Lo0, xc) + Products(n.Lo1, xc + 8)) + (Products(n.Lo2, xc + 16) + Products(n.Lo3, xc + 24));
        var pHi = (Products(n.Hi0, xc + 32) + Products(n.Hi1, xc + 40)) + (Products(n.Hi2, xc + 48) + Products(n.Hi3, xc + 56));
        return Avx512BW.MultiplyAddAdjacent(pLo, scLo) + Avx512BW.MultiplyAddAdjacent(pHi, scHi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(Vector512<int> sums, byte* head, Vector256<float> d, Vector256<float> dmin, float xScale, int* pairs,
        ref Vector256<float> acc, ref Vector256<float> accMin)
    {
        var xd = Vector256.Create(xScale);
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(PairSums(sums)), d * xd, acc);
        accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(PackedRows8.Q4KMins(head, pairs)), dmin * xd, accMin);
    }

    // Q4_0's full tile with its accumulators in registers (as Q4KFourTokens); same float steps as the loop in Q4_0.
    private static void Q4_0FourTokens(Rows8Pack p, int g0, int g1, in TileX x, float* y, int yStride)
    {
        var m4 = Vector512.Create((byte)0x0F);
        sbyte* x0 = x.Q(0), x1 = x.Q(1), x2 = x.Q(2), x3 = x.Q(3);
        int* s0 = x.S(0), s1 = x.S(1), s2 = x.S(2), s3 = x.S(3);
        float* d0 = (float*)x.Scales[0], d1 = (float*)x.Scales[1], d2 = (float*)x.Scales[2], d3 = (float*)x.Scales[3];
        int blocks = p.Blocks;
        byte* blk = p.Block(g0, 0);   // a running pointer (see Rows8Pack.Block)
        for (int g = g0; g < g1; g++)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int b = 0; b < blocks; b++, blk += Rows8Pack.Q4_0BlockBytes)
            {
                var (lo0, hi0, lo1, hi1) = Q4_0Nibbles(blk, m4);
                var d = PackedRows8.Q4_0Scales(blk);
                a0 = Q4_0Step(lo0, hi0, lo1, hi1, d, x0 + 32 * b, s0[b], d0[b], a0);
                a1 = Q4_0Step(lo0, hi0, lo1, hi1, d, x1 + 32 * b, s1[b], d1[b], a1);
                a2 = Q4_0Step(lo0, hi0, lo1, hi1, d, x2 + 32 * b, s2[b], d2[b], a2);
                a3 = Q4_0Step(lo0, hi0, lo1, hi1, d, x3 + 32 * b, s3[b], d3[b], a3);
            }
            a0.Store(y + 8 * g);
            a1.Store(y + yStride + 8 * g);
            a2.Store(y + 2 * yStride + 8 * g);
            a3.Store(y + 3 * yStride + 8 * g);
        }
    }

    // Decode's one token with its accumulator in a register (the general loop keeps it in a stack array, so each
    // block's fused multiply-add waited on the previous block's store); same float steps as Q4_0Step.
    [MethodImpl(KernelLoop.Options)]
    private static void Q4_0OneToken(Rows8Pack p, int g0, int g1, in TileX x, float* y)
    {
        var m4 = Vector512.Create((byte)0x0F);
        sbyte* x0 = x.Q(0);
        int* s0 = x.S(0);
        float* d0 = (float*)x.Scales[0];
        int blocks = p.Blocks;
        byte* blk = p.Block(g0, 0);   // a running pointer (see Rows8Pack.Block)
        for (int g = g0; g < g1; g++)
        {
            Vector256<float> a0 = default;
            for (int b = 0; b < blocks; b++, blk += Rows8Pack.Q4_0BlockBytes)
            {
                KernelLoop.Prefetch(blk + PackedRows8.StreamPrefetchBytes, Rows8Pack.Q4_0BlockBytes);
                var (lo0, hi0, lo1, hi1) = Q4_0Nibbles(blk, m4);
                a0 = Q4_0Step(lo0, hi0, lo1, hi1, PackedRows8.Q4_0Scales(blk), x0 + 32 * b, s0[b], d0[b], a0);
            }
            a0.Store(y + 8 * g);
        }
    }

    // A Q4_0 group block's two 64-byte loads split into low and high nibbles.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<byte> Lo0, Vector512<byte> Hi0, Vector512<byte> Lo1, Vector512<byte> Hi1) Q4_0Nibbles(byte* blk, Vector512<byte> m4)
    {
        var v0 = Vector512.Load(blk + Rows8Pack.Q4_0QuantsOffset);
        var v1 = Vector512.Load(blk + Rows8Pack.Q4_0QuantsOffset + 64);
        return (v0 & m4, Avx512BW.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & m4,
            v1 & m4, Avx512BW.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & m4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q4_0Step(Vector512<byte> lo0, Vector512<byte> hi0, Vector512<byte> lo1, Vector512<byte> hi1,
        Vector256<float> d, sbyte* xc, int xSum, float xScale, Vector256<float> acc)
    {
        var pr = (Products(lo0, xc) + Products(hi0, xc + 16)) + (Products(lo1, xc + 8) + Products(hi1, xc + 24));
        var sums = PairSums(Avx512BW.MultiplyAddAdjacent(pr, Vector512<short>.One)) - Vector256.Create(xSum);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), d * Vector256.Create(xScale), acc);
    }
}
