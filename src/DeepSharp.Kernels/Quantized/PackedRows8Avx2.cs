using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// AVX2 kernels of <see cref="PackedRows8"/>: each 64-byte group of quants is read as two 32-byte halves (rows
/// 0–3, rows 4–7); the same integer sums as <see cref="PackedRows8Avx512"/>, the same float steps.
/// </summary>
[SkipLocalsInit]
internal static unsafe class PackedRows8Avx2
{
    // pshufb indices putting byte 0 / byte 1 of each row's widened scale dword beside the row's products.
    private static readonly Vector256<byte> Spread0 = Vector256.Create(PackedRows8.ScaleSpread(32, 0));
    private static readonly Vector256<byte> Spread1 = Vector256.Create(PackedRows8.ScaleSpread(32, 1));
    private static readonly Vector256<int> RowOrder = Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7);

    // Rows 0–3 (two int32 lanes each) and rows 4–7 → lane r = row r's sum.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RowSums(Vector256<int> rows03, Vector256<int> rows47) =>
        Avx2.PermuteVar8x32(Avx2.HorizontalAdd(rows03, rows47), RowOrder);

    // Σ over k of nibbles(q + 64k + half) · x[8k..]: lanes of 4 rows × 4 int16 products.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short> Lo, Vector256<short> Hi) Products(byte* q, sbyte* xLo, sbyte* xHi, int kCount)
    {
        var m4 = Vector256.Create((byte)0x0F);
        var lo = Vector256<short>.Zero;
        var hi = Vector256<short>.Zero;
        for (int k = 0; k < kCount; k++)
        {
            var v = Vector256.Load(q + 64 * k);
            lo += Avx2.MultiplyAddAdjacent(v & m4, PackedRows8.Broadcast256(xLo + 8 * k));
            hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & m4, PackedRows8.Broadcast256(xHi + 8 * k));
        }
        return (lo, hi);
    }

    // Half h (rows 4h..4h+3) of chunk c of a Q4_K block, its scales (2c, 2c + 1) in bytes 0 and 1 of each row's
    // 64-bit lane of scaleLanes: scale·products in 8 int32 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4KChunk(byte* quants, Vector256<ulong> scaleLanes, int c, int h, sbyte* xc)
    {
        var (lo, hi) = Products(quants + 256 * c + 32 * h, xc, xc + 32, 4);
        var scLo = Avx2.Shuffle(scaleLanes.AsByte(), Spread0).AsInt16();
        var scHi = Avx2.Shuffle(scaleLanes.AsByte(), Spread1).AsInt16();
        return Avx2.MultiplyAddAdjacent(lo, scLo) + Avx2.MultiplyAddAdjacent(hi, scHi);
    }

    // Rows 4h..4h+3 of a block's scale words (PackedRows8.Q4KScaleWords) for chunk c, one row per 64-bit lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> ChunkScaleLanes(Vector256<uint> s03, Vector256<uint> s47, int c, int h)
    {
        var words = c < 2 ? s03 : s47;
        var lanes = Avx2.ConvertToVector256Int64(h == 0 ? words.GetLower() : words.GetUpper()).AsUInt64();
        return c % 2 == 0 ? lanes : Avx2.ShiftRightLogical(lanes, 16);
    }

    // Lane r ← Σ_k min[r][k]·B[k] over a block's 8 mins (PackedRows8.Q4KMinWords) with the token's 32-value sums B
    // (int16, in the pairs of PackedActivations): ≤ 63·4096 per product, exact in int32.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4KMins(byte* head, int* pairs)
    {
        var (m03, m47) = PackedRows8.Q4KMinWords(head);
        var b03 = Vector256.Create(*(long*)pairs).AsInt16();
        var b47 = Vector256.Create(*(long*)(pairs + 2)).AsInt16();
        var rows03 = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(m03.GetLower().AsByte()), b03)
            + Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(m47.GetLower().AsByte()), b47);
        var rows47 = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(m03.GetUpper().AsByte()), b03)
            + Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(m47.GetUpper().AsByte()), b47);
        return RowSums(rows03, rows47);
    }

    // Token by token, each read in the order a chunked pack lies (as Q4_0), each group's sums and mins accumulators
    // kept in `acc` between chunks.
    [MethodImpl(KernelLoop.Options)]
    public static void Q4K(Rows8Pack p, int g0, int g1, in TileX x, float* y, int yStride)
    {
        int blocks = p.Blocks, chunk = p.ChunkBlocks;
        var acc = stackalloc Vector256<float>[2 * Rows8Pack.BatchGroups];   // per group: sums, then mins
        for (int t = 0; t < x.Tokens; t++)
            for (int w0 = g0, w1; w0 < g1; w0 = w1)
            {
                w1 = Rows8Pack.BatchEnd(w0, g1);
                new Span<Vector256<float>>(acc, 2 * (w1 - w0)).Clear();
                for (int c0 = 0; c0 < blocks; c0 += chunk)
                    for (int g = w0; g < w1; g++)
                        Q4KBlocks(p.Block(g, c0), c0, c0 + chunk, x, t, ref acc[2 * (g - w0)], ref acc[2 * (g - w0) + 1]);
                for (int g = w0; g < w1; g++) (acc[2 * (g - w0)] - acc[2 * (g - w0) + 1]).Store(y + t * yStride + 8 * g);
            }
    }

    // Blocks [b0, b1) of one group from blk on, against token t.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4KBlocks(byte* blk, int b0, int b1, in TileX x, int t, ref Vector256<float> sums, ref Vector256<float> mins)
    {
        var (acc, accMin) = (sums, mins);
        for (int b = b0; b < b1; b++, blk += Rows8Pack.Q4KBlockBytes)
        {
            StreamPrefetch.Ahead(blk, Rows8Pack.Q4KBlockBytes);
            sbyte* xb = x.Q(t) + 256 * b;
            byte* head = blk + Rows8Pack.Q4KHeadOffset;
            var (s03, s47) = PackedRows8.Q4KScaleWords(head);
            Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero;
            for (int c = 0; c < 4; c++)
            {
                s0 += Q4KChunk(blk, ChunkScaleLanes(s03, s47, c, 0), c, 0, xb + 64 * c);
                s1 += Q4KChunk(blk, ChunkScaleLanes(s03, s47, c, 1), c, 1, xb + 64 * c);
            }
            var xd = Vector256.Create(x.Scale(t, b));
            var (d, dmin) = PackedRows8.Q4KScales(head);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(RowSums(s0, s1)), d * xd, acc);
            accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Q4KMins(head, x.S(t) + 4 * b)), dmin * xd, accMin);
        }
        (sums, mins) = (acc, accMin);
    }

    // Token by token, each read in the order a chunked pack lies (per batch, chunk by chunk, each chunk of every group
    // in turn: the chunk's activations serve all of them from L1), the groups' accumulators kept in `acc` between chunks.
    [MethodImpl(KernelLoop.Options)]
    public static void Q4_0(Rows8Pack p, int g0, int g1, in TileX x, float* y, int yStride)
    {
        int blocks = p.Blocks, chunk = p.ChunkBlocks;
        var acc = stackalloc Vector256<float>[Rows8Pack.BatchGroups];
        for (int t = 0; t < x.Tokens; t++)
            for (int w0 = g0, w1; w0 < g1; w0 = w1)
            {
                w1 = Rows8Pack.BatchEnd(w0, g1);
                new Span<Vector256<float>>(acc, w1 - w0).Clear();
                for (int c0 = 0; c0 < blocks; c0 += chunk)
                    for (int g = w0; g < w1; g++)
                        acc[g - w0] = Q4_0Chunk(p.Block(g, c0), c0, c0 + chunk, x, t, acc[g - w0]);
                for (int g = w0; g < w1; g++) acc[g - w0].Store(y + t * yStride + 8 * g);
            }
    }

    // Blocks [b0, b1) of one group from blk on, against token t.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q4_0Chunk(byte* blk, int b0, int b1, in TileX x, int t, Vector256<float> acc)
    {
        for (int b = b0; b < b1; b++, blk += Rows8Pack.Q4_0BlockBytes)
        {
            StreamPrefetch.Ahead(blk, Rows8Pack.Q4_0BlockBytes);
            sbyte* xb = x.Q(t) + 32 * b;
            var (lo0, hi0) = Products(blk + Rows8Pack.Q4_0QuantsOffset, xb, xb + 16, 2);
            var (lo1, hi1) = Products(blk + Rows8Pack.Q4_0QuantsOffset + 32, xb, xb + 16, 2);
            var s0 = Avx2.MultiplyAddAdjacent(lo0 + hi0, Vector256<short>.One);
            var s1 = Avx2.MultiplyAddAdjacent(lo1 + hi1, Vector256<short>.One);
            var sums = RowSums(s0, s1) - Vector256.Create(x.S(t)[b]);
            var d = PackedRows8.Q4_0Scales(blk);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), d * Vector256.Create(x.Scale(t, b)), acc);
        }
        return acc;
    }
}
