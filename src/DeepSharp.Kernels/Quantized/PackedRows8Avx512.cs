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
    // pshufb indices putting byte 0 / byte 1 of each row's widened scale dword beside the row's products.
    private static readonly Vector512<byte> Spread0 = Vector512.Create(PackedRows8.ScaleSpread(64, 0));
    private static readonly Vector512<byte> Spread1 = Vector512.Create(PackedRows8.ScaleSpread(64, 1));

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
        var (spread0, spread1) = (Spread0, Spread1);
        var sumi = stackalloc Vector512<int>[PackedRows8.TileTokens];
        var acc = stackalloc Vector256<float>[2 * PackedRows8.TileTokens];
        int blocks = p.Blocks, chunk = p.ChunkBlocks;
        for (int g = g0; g < g1; g++)
        {
            for (int t = 0; t < 2 * nT; t++) acc[t] = Vector256<float>.Zero;
            for (int c0 = 0; c0 < blocks; c0 += chunk)
            {
                byte* blk = p.Block(g, c0);   // a running pointer through the chunk (see Rows8Pack.Block)
                for (int b = c0; b < c0 + chunk; b++, blk += Rows8Pack.Q4KBlockBytes)
                {
                    StreamPrefetch.Ahead(blk, Rows8Pack.Q4KBlockBytes);
                    byte* head = blk + Rows8Pack.Q4KHeadOffset;
                    var (s03, s47) = ScaleLanes(head);
                    for (int t = 0; t < nT; t++) sumi[t] = Vector512<int>.Zero;
                    for (int c = 0; c < 4; c++)
                    {
                        var n = Nibbles.Load(blk + 256 * c, m4);
                        var (scLo, scHi) = Spread(ChunkScaleLanes(s03, s47, c), spread0, spread1);
                        for (int t = 0; t < nT; t++)
                            sumi[t] += ChunkSums(n, scLo, scHi, x.Q(t) + 256 * b + 64 * c);
                    }
                    var (d, dmin) = PackedRows8.Q4KScales(head);
                    var (m03, m47) = MinLanes(head);
                    for (int t = 0; t < nT; t++)
                    {
                        var xd = Vector256.Create(x.Scale(t, b));
                        var mins = Q4KMins(m03, m47, x.S(t) + 4 * b);
                        acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(PairSums(sumi[t])), d * xd, acc[t]);
                        acc[nT + t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(mins), dmin * xd, acc[nT + t]);
                    }
                }
            }
            for (int t = 0; t < nT; t++) (acc[t] - acc[nT + t]).Store(y + t * yStride + 8 * g);
        }
    }

    // A packed Q4_K block's scale words (PackedRows8.Q4KScaleWords) widened to one row per 64-bit lane, the rows'
    // places in the quant loads.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<ulong> S03, Vector512<ulong> S47) ScaleLanes(byte* head)
    {
        var (s03, s47) = PackedRows8.Q4KScaleWords(head);
        return (Avx512F.ConvertToVector512UInt64(s03), Avx512F.ConvertToVector512UInt64(s47));
    }

    // Chunk c's scales (2c for its low nibbles, 2c + 1 for its high ones) in bytes 0 and 1 of each row's lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> ChunkScaleLanes(Vector512<ulong> s03, Vector512<ulong> s47, int c)
    {
        var v = c < 2 ? s03 : s47;
        return c % 2 == 0 ? v : Avx512F.ShiftRightLogical(v, 16);
    }

    // Bytes 0 and 1 of each row's lane as the int16 scales of its low- and high-nibble products.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<short> Lo, Vector512<short> Hi) Spread(Vector512<ulong> lanes, Vector512<byte> spread0, Vector512<byte> spread1) =>
        (Avx512BW.Shuffle(lanes.AsByte(), spread0).AsInt16(), Avx512BW.Shuffle(lanes.AsByte(), spread1).AsInt16());

    // A packed Q4_K block's 6-bit mins as int16, row r in 64-bit lane r (mins 0–3, then 4–7).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<short> M03, Vector512<short> M47) MinLanes(byte* head)
    {
        var (m03, m47) = PackedRows8.Q4KMinWords(head);
        return (Avx512BW.ConvertToVector512Int16(m03.AsByte()), Avx512BW.ConvertToVector512Int16(m47.AsByte()));
    }

    // Lane r ← Σ_k min[r][k]·B[k] over the block's 8 mins with the token's 32-value sums B (int16, in the pairs of
    // PackedActivations): ≤ 63·4096 per product, exact in int32.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4KMins(Vector512<short> m03, Vector512<short> m47, int* pairs) =>
        PairSums(Avx512BW.MultiplyAddAdjacent(m03, Vector512.Create(*(long*)pairs).AsInt16())
            + Avx512BW.MultiplyAddAdjacent(m47, Vector512.Create(*(long*)(pairs + 2)).AsInt16()));

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
        int blocks = p.Blocks, chunk = p.ChunkBlocks;
        for (int g = g0; g < g1; g++)
        {
            for (int t = 0; t < nT; t++) acc[t] = Vector256<float>.Zero;
            for (int c0 = 0; c0 < blocks; c0 += chunk)
            {
                byte* blk = p.Block(g, c0);   // a running pointer through the chunk (see Rows8Pack.Block)
                for (int b = c0; b < c0 + chunk; b++, blk += Rows8Pack.Q4_0BlockBytes)
                {
                    StreamPrefetch.Ahead(blk, Rows8Pack.Q4_0BlockBytes);
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
        var (spread0, spread1) = (Spread0, Spread1);
        int blocks = p.Blocks, chunk = p.ChunkBlocks;
        // The same block of the next group: a group later in a plain pack, a chunk later in a chunked one.
        long nextGroup = p.Chunked ? (long)chunk * Rows8Pack.Q4KBlockBytes : p.GroupBytes;
        for (int g = g0; g < g1; g++)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> n0 = default, n1 = default, n2 = default, n3 = default;
            for (int c0 = 0; c0 < blocks; c0 += chunk)
            {
                byte* blk = p.Block(g, c0);   // a running pointer through the chunk (see Rows8Pack.Block)
                for (int b = c0; b < c0 + chunk; b++, blk += Rows8Pack.Q4KBlockBytes)
                {
                    KernelLoop.Prefetch(blk + nextGroup, Rows8Pack.Q4KBlockBytes);
                    byte* head = blk + Rows8Pack.Q4KHeadOffset;
                    var (s03, s47) = ScaleLanes(head);
                    Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
                    for (int c = 0; c < 4; c++)
                    {
                        var n = Nibbles.Load(blk + 256 * c, m4);
                        var (scLo, scHi) = Spread(ChunkScaleLanes(s03, s47, c), spread0, spread1);
                        int at = 256 * b + 64 * c;
                        i0 += ChunkSums(n, scLo, scHi, x0 + at);
                        i1 += ChunkSums(n, scLo, scHi, x1 + at);
                        i2 += ChunkSums(n, scLo, scHi, x2 + at);
                        i3 += ChunkSums(n, scLo, scHi, x3 + at);
                    }
                    var (d, dmin) = PackedRows8.Q4KScales(head);
                    var (m03, m47) = MinLanes(head);
                    Accumulate(i0, Q4KMins(m03, m47, s0 + 4 * b), d, dmin, d0[b], ref a0, ref n0);
                    Accumulate(i1, Q4KMins(m03, m47, s1 + 4 * b), d, dmin, d1[b], ref a1, ref n1);
                    Accumulate(i2, Q4KMins(m03, m47, s2 + 4 * b), d, dmin, d2[b], ref a2, ref n2);
                    Accumulate(i3, Q4KMins(m03, m47, s3 + 4 * b), d, dmin, d3[b], ref a3, ref n3);
                }
            }
            (a0 - n0).Store(y + 8 * g);
            (a1 - n1).Store(y + yStride + 8 * g);
            (a2 - n2).Store(y + 2 * yStride + 8 * g);
            (a3 - n3).Store(y + 3 * yStride + 8 * g);
        }
    }

    // Decode's one token with every sum in a register (the general loop above keeps them in stack arrays); the float
    // steps are the loop's. A plain pack in one run of blocks (a running pointer through all the groups), a chunked one
    // as Q4KOneTokenChunked reads it.
    [MethodImpl(KernelLoop.Options)]
    private static void Q4KOneToken(Rows8Pack p, int g0, int g1, in TileX x, float* y)
    {
        if (p.Chunked)
        {
            Q4KOneTokenChunked(p, g0, g1, x, y);
            return;
        }
        var m4 = Vector512.Create((byte)0x0F);
        var (spread0, spread1) = (Spread0, Spread1);
        sbyte* x0 = x.Q(0);
        int* s0 = x.S(0);
        float* d0 = (float*)x.Scales[0];
        int blocks = p.Blocks;
        byte* blk = p.Block(g0, 0);   // a running pointer (see Rows8Pack.Block)
        for (int g = g0; g < g1; g++)
        {
            Vector256<float> a0 = default, n0 = default;
            for (int b = 0; b < blocks; b++, blk += Rows8Pack.Q4KBlockBytes)
                Q4KOneTokenBlock(blk, m4, spread0, spread1, x0, s0, d0, b, ref a0, ref n0);
            (a0 - n0).Store(y + 8 * g);
        }
    }

    // A chunked pack read in the order it lies (as Q4_0OneTokenChunked), each group's two accumulators kept in `acc`
    // between chunks.
    [MethodImpl(KernelLoop.Options)]
    private static void Q4KOneTokenChunked(Rows8Pack p, int g0, int g1, in TileX x, float* y)
    {
        var m4 = Vector512.Create((byte)0x0F);
        var (spread0, spread1) = (Spread0, Spread1);
        sbyte* x0 = x.Q(0);
        int* s0 = x.S(0);
        float* d0 = (float*)x.Scales[0];
        int blocks = p.Blocks, chunk = p.ChunkBlocks;
        var acc = stackalloc Vector256<float>[2 * Rows8Pack.BatchGroups];   // per group: sums, then mins
        for (int w0 = g0, w1; w0 < g1; w0 = w1)
        {
            w1 = Rows8Pack.BatchEnd(w0, g1);
            new Span<Vector256<float>>(acc, 2 * (w1 - w0)).Clear();
            for (int c0 = 0; c0 < blocks; c0 += chunk)
                for (int g = w0; g < w1; g++)
                {
                    var (a0, n0) = (acc[2 * (g - w0)], acc[2 * (g - w0) + 1]);
                    byte* blk = p.Block(g, c0);   // a running pointer through the chunk (see Rows8Pack.Block)
                    for (int b = c0; b < c0 + chunk; b++, blk += Rows8Pack.Q4KBlockBytes)
                        Q4KOneTokenBlock(blk, m4, spread0, spread1, x0, s0, d0, b, ref a0, ref n0);
                    (acc[2 * (g - w0)], acc[2 * (g - w0) + 1]) = (a0, n0);
                }
            for (int g = w0; g < w1; g++) (acc[2 * (g - w0)] - acc[2 * (g - w0) + 1]).Store(y + 8 * g);
        }
    }

    // Block b of a group at blk against decode's token: its sums into a0, its mins into n0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4KOneTokenBlock(byte* blk, Vector512<byte> m4, Vector512<byte> spread0, Vector512<byte> spread1, sbyte* x0,
        int* s0, float* d0, int b, ref Vector256<float> a0, ref Vector256<float> n0)
    {
        StreamPrefetch.Ahead(blk, Rows8Pack.Q4KBlockBytes);
        byte* head = blk + Rows8Pack.Q4KHeadOffset;
        var (s03, s47) = ScaleLanes(head);
        sbyte* xb = x0 + 256 * b;
        var i0 = OneTokenChunk(blk, s03, m4, spread0, spread1, xb)
            + OneTokenChunk(blk + 256, Avx512F.ShiftRightLogical(s03, 16), m4, spread0, spread1, xb + 64)
            + OneTokenChunk(blk + 512, s47, m4, spread0, spread1, xb + 128)
            + OneTokenChunk(blk + 768, Avx512F.ShiftRightLogical(s47, 16), m4, spread0, spread1, xb + 192);
        var (d, dmin) = PackedRows8.Q4KScales(head);
        var (m03, m47) = MinLanes(head);
        Accumulate(i0, Q4KMins(m03, m47, s0 + 4 * b), d, dmin, d0[b], ref a0, ref n0);
    }

    // One chunk of the one-token kernel: its quants at q, its scales in bytes 0 and 1 of each row's lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> OneTokenChunk(byte* q, Vector512<ulong> scaleLanes, Vector512<byte> m4, Vector512<byte> spread0,
        Vector512<byte> spread1, sbyte* xc)
    {
        var (scLo, scHi) = Spread(scaleLanes, spread0, spread1);
        return ChunkSums(Nibbles.Load(q, m4), scLo, scHi, xc);
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
    private static void Accumulate(Vector512<int> sums, Vector256<int> mins, Vector256<float> d, Vector256<float> dmin, float xScale,
        ref Vector256<float> acc, ref Vector256<float> accMin)
    {
        var xd = Vector256.Create(xScale);
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(PairSums(sums)), d * xd, acc);
        accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(mins), dmin * xd, accMin);
    }

    // Q4_0's full tile with its accumulators in registers (as Q4KFourTokens); same float steps as the loop in Q4_0.
    private static void Q4_0FourTokens(Rows8Pack p, int g0, int g1, in TileX x, float* y, int yStride)
    {
        var m4 = Vector512.Create((byte)0x0F);
        sbyte* x0 = x.Q(0), x1 = x.Q(1), x2 = x.Q(2), x3 = x.Q(3);
        int* s0 = x.S(0), s1 = x.S(1), s2 = x.S(2), s3 = x.S(3);
        float* d0 = (float*)x.Scales[0], d1 = (float*)x.Scales[1], d2 = (float*)x.Scales[2], d3 = (float*)x.Scales[3];
        int blocks = p.Blocks, chunk = p.ChunkBlocks;
        for (int g = g0; g < g1; g++)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int c0 = 0; c0 < blocks; c0 += chunk)
            {
                byte* blk = p.Block(g, c0);   // a running pointer through the chunk (see Rows8Pack.Block)
                for (int b = c0; b < c0 + chunk; b++, blk += Rows8Pack.Q4_0BlockBytes)
                {
                    var (lo0, hi0, lo1, hi1) = Q4_0Nibbles(blk, m4);
                    var d = PackedRows8.Q4_0Scales(blk);
                    a0 = Q4_0Step(lo0, hi0, lo1, hi1, d, x0 + 32 * b, s0[b], d0[b], a0);
                    a1 = Q4_0Step(lo0, hi0, lo1, hi1, d, x1 + 32 * b, s1[b], d1[b], a1);
                    a2 = Q4_0Step(lo0, hi0, lo1, hi1, d, x2 + 32 * b, s2[b], d2[b], a2);
                    a3 = Q4_0Step(lo0, hi0, lo1, hi1, d, x3 + 32 * b, s3[b], d3[b], a3);
                }
            }
            a0.Store(y + 8 * g);
            a1.Store(y + yStride + 8 * g);
            a2.Store(y + 2 * yStride + 8 * g);
            a3.Store(y + 3 * yStride + 8 * g);
        }
    }

    // Decode's one token with its accumulator in a register (the general loop keeps it in a stack array, so each
    // block's fused multiply-add waited on the previous block's store); same float steps as Q4_0Step. A plain pack in
    // one run of blocks (a running pointer through all the groups), a chunked one as Q4_0OneTokenChunked reads it.
    [MethodImpl(KernelLoop.Options)]
    private static void Q4_0OneToken(Rows8Pack p, int g0, int g1, in TileX x, float* y)
    {
        if (p.Chunked)
        {
            Q4_0OneTokenChunked(p, g0, g1, x, y);
            return;
        }
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
                a0 = Q4_0OneTokenBlock(blk, m4, x0, s0, d0, b, a0);
            a0.Store(y + 8 * g);
        }
    }

    // A chunked pack read in the order it lies: per batch, chunk by chunk, each chunk of every group in turn, so that
    // the chunk's activations serve all of them from L1; each group's accumulator waits in `acc` between chunks.
    [MethodImpl(KernelLoop.Options)]
    private static void Q4_0OneTokenChunked(Rows8Pack p, int g0, int g1, in TileX x, float* y)
    {
        var m4 = Vector512.Create((byte)0x0F);
        sbyte* x0 = x.Q(0);
        int* s0 = x.S(0);
        float* d0 = (float*)x.Scales[0];
        int blocks = p.Blocks, chunk = p.ChunkBlocks;
        var acc = stackalloc Vector256<float>[Rows8Pack.BatchGroups];
        for (int w0 = g0, w1; w0 < g1; w0 = w1)
        {
            w1 = Rows8Pack.BatchEnd(w0, g1);
            new Span<Vector256<float>>(acc, w1 - w0).Clear();
            for (int c0 = 0; c0 < blocks; c0 += chunk)
                for (int g = w0; g < w1; g++)
                {
                    var a0 = acc[g - w0];
                    byte* blk = p.Block(g, c0);   // a running pointer through the chunk (see Rows8Pack.Block)
                    for (int b = c0; b < c0 + chunk; b++, blk += Rows8Pack.Q4_0BlockBytes)
                        a0 = Q4_0OneTokenBlock(blk, m4, x0, s0, d0, b, a0);
                    acc[g - w0] = a0;
                }
            for (int g = w0; g < w1; g++) acc[g - w0].Store(y + 8 * g);
        }
    }

    // Block b of a group at blk against decode's token.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q4_0OneTokenBlock(byte* blk, Vector512<byte> m4, sbyte* x0, int* s0, float* d0, int b, Vector256<float> acc)
    {
        StreamPrefetch.Ahead(blk, Rows8Pack.Q4_0BlockBytes);
        var (lo0, hi0, lo1, hi1) = Q4_0Nibbles(blk, m4);
        return Q4_0Step(lo0, hi0, lo1, hi1, PackedRows8.Q4_0Scales(blk), x0 + 32 * b, s0[b], d0[b], acc);
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
