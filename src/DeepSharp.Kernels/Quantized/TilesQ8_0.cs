using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Q8_0 (and Q5_0) rows · Q8_0 tokens, several at once (4 rows × 1, 2 or 4 tokens; 8 rows × 1 token for decode): each
/// activation block load serves every row of the tile and each weight block load serves every token of it. Every
/// (row, token) pair keeps its own 8 float lanes and takes its blocks in order with one fused multiply-add each,
/// exactly as <see cref="IntegerDotScalar.Q8_0"/>, so results are bit-identical; only the exact integer lanes are
/// computed differently. The rows are the file's, or a packed Q8_0 matrix's groups of 8 (<see cref="Rows8Pack"/>;
/// <see cref="PackedQ8_0Block"/> for the tiles, <see cref="Rows8Packed"/> for decode).
/// </summary>
/// <remarks>
/// With AVX-VNNI the signed·signed lanes come from one unsigned·signed dpbusd: (w + 128)·x summed by 4, starting
/// from −128·Σx (computed once per activation block and shared by all rows), equals Σ w·x exactly in int32.
/// </remarks>
[SkipLocalsInit]
internal static class TilesQ8_0
{
    /// <summary>
    /// Where a tile's rows keep their blocks of 32 values that unpack to signed bytes with one f16 scale each (Q8_0,
    /// Q5_0), and how they unpack. <c>blk</c> is the tile's block at the current position (the first row's, stepping
    /// <see cref="Bytes"/> along the rows), <c>k</c> the row within the tile; <c>stride</c> is what the tile was
    /// called with (the file's row bytes, or for <see cref="PackedQ8_0Block"/> the tile's first row in its group).
    /// </summary>
    internal interface IBlock
    {
        static abstract int Bytes { get; }
        /// <summary>Whether the tile's rows are rows of the file, stride apart (whose next tile the kernels prefetch).</summary>
        static abstract bool FileRows { get; }
        static abstract Vector256<byte> Weights(ref byte blk, nint k, nint stride);
        /// <summary>Row k's values + 128 as unsigned bytes (<see cref="Weights"/> with the sign bit flipped), for dpbusd.</summary>
        static abstract Vector256<byte> Biased(ref byte blk, nint k, nint stride);
        /// <summary>Rows k and k + 1's values (as <see cref="Weights"/>) in the low and high halves.</summary>
        static abstract Vector512<byte> WeightPair(ref byte blk, nint k, nint stride);
        static abstract ref byte Scale(ref byte blk, nint k, nint stride);
    }

    internal struct Q8_0Block : IBlock
    {
        public static int Bytes => 34;
        public static bool FileRows => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Weights(ref byte blk, nint k, nint stride) => Vector256.LoadUnsafe(ref Unsafe.Add(ref blk, k * stride), 2);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Biased(ref byte blk, nint k, nint stride) => Weights(ref blk, k, stride) ^ Vector256.Create((byte)0x80);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> WeightPair(ref byte blk, nint k, nint stride) => Halves512.Join(Weights(ref blk, k, stride), Weights(ref blk, k + 1, stride));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ref byte Scale(ref byte blk, nint k, nint stride) => ref Unsafe.Add(ref blk, k * stride);
    }

    // Q5_0: (low nibble | high bit << 4) − 16 as signed bytes, exactly IntegerDotAvx2.Q5_0's unpacking.
    internal struct Q5_0Block : IBlock
    {
        public static int Bytes => 22;
        public static bool FileRows => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Weights(ref byte blk, nint k, nint stride) => IntegerDotAvx2.Q5_0Values(ref Unsafe.Add(ref blk, k * stride));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Biased(ref byte blk, nint k, nint stride) => IntegerDotAvx2.Q5_0Biased(ref Unsafe.Add(ref blk, k * stride));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> WeightPair(ref byte blk, nint k, nint stride) => Halves512.Join(Weights(ref blk, k, stride), Weights(ref blk, k + 1, stride));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ref byte Scale(ref byte blk, nint k, nint stride) => ref Unsafe.Add(ref blk, k * stride);
    }

    /// <summary>
    /// A <see cref="Rows8Pack"/> Q8_0 group (its 8 rows' f16 scales, then their 32 quants each, per block): row k of a
    /// tile that starts at row <c>first</c> of the group (passed as the tiles' stride, 0 or 4).
    /// </summary>
    internal struct PackedQ8_0Block : IBlock
    {
        public static int Bytes => Rows8Pack.Q8_0BlockBytes;
        public static bool FileRows => false;   // one stream, which the hardware prefetcher follows
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Weights(ref byte blk, nint k, nint first) =>
            Vector256.LoadUnsafe(ref Unsafe.Add(ref blk, Rows8Pack.Q8_0QuantsOffset + 32 * (first + k)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Biased(ref byte blk, nint k, nint first) => Weights(ref blk, k, first) ^ Vector256.Create((byte)0x80);
        // The group's rows lie side by side: one 64-byte load.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> WeightPair(ref byte blk, nint k, nint first) =>
            Vector512.LoadUnsafe(ref Unsafe.Add(ref blk, Rows8Pack.Q8_0QuantsOffset + 32 * (first + k)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ref byte Scale(ref byte blk, nint k, nint first) => ref Unsafe.Add(ref blk, 2 * (first + k));
    }

    /// <summary>
    /// A <see cref="Rows8Pack"/> Q5_0 group (its 8 rows' f16 scales, then each row's qh and qs, per block): row k of a
    /// tile that starts at row <c>first</c> of the group, unpacked as <see cref="Q5_0Block"/>.
    /// </summary>
    internal struct PackedQ5_0Block : IBlock
    {
        public static int Bytes => Rows8Pack.Q5_0BlockBytes;
        public static bool FileRows => false;
        // Q5_0Values reads qh and qs 2 and 6 bytes past a file block's start; a packed row's qh comes first.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Weights(ref byte blk, nint k, nint first) =>
            IntegerDotAvx2.Q5_0Values(ref Unsafe.Add(ref blk, Rows8Pack.Q5_0RowsOffset - 2 + 20 * (first + k)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Biased(ref byte blk, nint k, nint first) =>
            IntegerDotAvx2.Q5_0Biased(ref Unsafe.Add(ref blk, Rows8Pack.Q5_0RowsOffset - 2 + 20 * (first + k)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> WeightPair(ref byte blk, nint k, nint first) => Halves512.Join(Weights(ref blk, k, first), Weights(ref blk, k + 1, first));
        // With VBMI (and AVX-VNNI, which takes the biased values) the decode kernel unpacks two rows at a time in 512
        // bits: half the unpacking operations per row.
        public static bool PairedBiased => IntegerDotAvx2.FifthBitsByMultiShift && AvxVnni.IsSupported;

        // Rows k and k + 1 (k even) of a group in one 64-byte load of their two 20-byte records (qh 4, qs 16 each), taken from the
        // first record, or for k ≥ 4 ending with the second (so the load stays inside the block): a byte permute puts
        // qs in the 128-bit lanes [qs_k, qs_k, qs_k+1, qs_k+1], a shift takes the high nibbles in lanes 1 and 3; another
        // permute doubles each row's qh in every qword of its half, and one multishift puts each value's fifth bit at
        // bit 4, as Q5_0Biased does for one row. The same bytes as two Biased calls.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> BiasedPair(ref byte blk, nint k) => UnsignedPair(ref blk, k) + Vector512.Create((byte)112);

        /// <summary>Rows k and k + 1's values as unsigned 5-bit bytes q (the stored q − 16 is <see cref="Weights"/>), unpacked as <see cref="BiasedPair"/> describes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<byte> UnsignedPair(ref byte blk, nint k)
        {
            nint at = Rows8Pack.Q5_0RowsOffset + 20 * k;
            bool fromEnd = k >= 4;
            var v = Vector512.LoadUnsafe(ref Unsafe.Add(ref blk, fromEnd ? at + 40 - 64 : at));
            var qs = Avx512Vbmi.PermuteVar64x8(v, fromEnd ? PairQsFromEnd : PairQsFromStart);
            var nibbles = Avx512BW.ShiftRightLogicalVariable(qs.AsUInt16(), PairNibbleShifts).AsByte() & Vector512.Create((byte)0x0F);
            var qh = Avx512Vbmi.PermuteVar64x8(v, fromEnd ? PairQhFromEnd : PairQhFromStart);
            var fifth = Avx512Vbmi.MultiShift(PairFifthBitShifts, qh.AsUInt64());
            // 0xF8: A | (B & C) — the nibbles, and bit 4 of the multishift's bytes.
            return Avx512F.TernaryLogic(nibbles, fifth, Vector512.Create((byte)0x10), 0xF8);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ref byte Scale(ref byte blk, nint k, nint first) => ref Unsafe.Add(ref blk, 2 * (first + k));
    }

    // BiasedPair's byte permutes (the pair's records start at byte b of the load: 0, or 24 when loaded from the end):
    // qs_k (at b + 4) into lanes 0 and 1, qs_k+1 (at b + 24) into lanes 2 and 3; qh_k (at b) doubled in every qword of
    // the low half, qh_k+1 (at b + 20) of the high half. Then lanes 1 and 3 shift right by 4, and the multishift's
    // controls are Q5_0Biased's in each half.
    private static readonly Vector512<byte> PairQsFromStart = PairControl(i => 4 + 20 * (i / 32) + i % 16);
    private static readonly Vector512<byte> PairQsFromEnd = PairControl(i => 24 + 4 + 20 * (i / 32) + i % 16);
    private static readonly Vector512<byte> PairQhFromStart = PairControl(i => 20 * (i / 32) + i % 4);
    private static readonly Vector512<byte> PairQhFromEnd = PairControl(i => 24 + 20 * (i / 32) + i % 4);
    private static readonly Vector512<ushort> PairNibbleShifts = Vector512.Create(Vector256.Create(Vector128<ushort>.Zero, Vector128.Create((ushort)4)));
    private static readonly Vector512<byte> PairFifthBitShifts = Vector512.Create(IntegerDotAvx2.FifthBitShifts);

    private static Vector512<byte> PairControl(Func<int, int> at)
    {
        Span<byte> bytes = stackalloc byte[64];
        for (int i = 0; i < 64; i++) bytes[i] = (byte)at(i);
        return Vector512.Create<byte>(bytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> NegativeBias(Vector256<sbyte> x) => AvxVnni.IsSupported
        ? Vector256<int>.Zero - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, Vector256.Create((byte)0x80), x)
        : default;

    // Row k's block values in the form Lanes takes them: + 128 as unsigned bytes for AVX-VNNI's dpbusd, else signed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> RowValues<TBlock>(ref byte blk, nint k, nint stride) where TBlock : struct, IBlock =>
        AvxVnni.IsSupported ? TBlock.Biased(ref blk, k, stride) : TBlock.Weights(ref blk, k, stride);

    // Rows k and k + 1's RowValues in a packed group (first row 0): a packed Q5_0 pair unpacked together where it can
    // be (PackedQ5_0Block.BiasedPair), every other block one row at a time.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte>, Vector256<byte>) RowPairValues<TBlock>(ref byte blk, nint k) where TBlock : struct, IBlock
    {
        if (typeof(TBlock) == typeof(PackedQ5_0Block) && PackedQ5_0Block.PairedBiased)
        {
            var pair = PackedQ5_0Block.BiasedPair(ref blk, k);
            return (pair.GetLower(), pair.GetUpper());
        }
        return (RowValues<TBlock>(ref blk, k, 0), RowValues<TBlock>(ref blk, k + 1, 0));
    }

    // The 8 exact integer lanes of one weight block (its RowValues) against one activation block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Lanes(Vector256<byte> values, Vector256<sbyte> x, Vector256<int> negativeBias) =>
        AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(negativeBias, values, x)
            : IntegerDotAvx2.SignedLanes(values.AsSByte(), x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<int> lanes, float d, Vector256<float> acc) =>
        Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);

    /// <summary>
    /// y [4] ← rows at <paramref name="row0"/> (+ k·stride) · x; the blocks in chunks of <paramref name="chunkBlocks"/>,
    /// <paramref name="chunkStride"/> bytes apart (a chunked <see cref="Rows8Pack"/>; else one chunk of every block).
    /// The tiles walk chunk by chunk in two loops, the chunk's pointer stepped once per chunk: finding each block by a
    /// division cost the unchunked tile 3–6%, and with it the chunked layout's prompts ran 0.90–1.01x (session 22).
    /// </summary>
    [MethodImpl(KernelLoop.Options)]
    public static void Rows4<TBlock>(ref byte row0, nint stride, int chunkBlocks, nint chunkStride, in Int8Row x, Span<float> y)
        where TBlock : struct, IBlock
    {
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref float xd = ref MemoryMarshal.GetReference(x.Scales);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        ref float halves = ref Float.HalfTable.First;
        int nb = x.Scales.Length;
        ref byte chunk = ref row0;
        for (int c0 = 0; c0 < nb; c0 += chunkBlocks, chunk = ref Unsafe.Add(ref chunk, chunkStride))
        {
            for (int b = c0, c1 = Math.Min(nb, c0 + chunkBlocks); b < c1; b++)
            {
                ref byte blk = ref Unsafe.Add(ref chunk, (b - c0) * TBlock.Bytes);
                var xq = Vector256.LoadUnsafe(ref q, (nuint)(32 * b));
                var nbias = NegativeBias(xq);
                float s = Unsafe.Add(ref xd, b);
                if (TBlock.FileRows) PrefetchNextTile(ref blk, stride);
                a0 = RowStep<TBlock>(ref blk, 0, stride, xq, nbias, s, ref halves, a0);
                a1 = RowStep<TBlock>(ref blk, 1, stride, xq, nbias, s, ref halves, a1);
                a2 = RowStep<TBlock>(ref blk, 2, stride, xq, nbias, s, ref halves, a2);
                a3 = RowStep<TBlock>(ref blk, 3, stride, xq, nbias, s, ref halves, a3);
            }
        }
        Store(y, 0, a0, a1, a2, a3);
    }

    /// <summary>
    /// y [8] ← rows at <paramref name="row0"/> (+ k·stride) · x: decode's one token over 8 rows, so that each activation
    /// block, its bias and the loop's bookkeeping serve twice the rows of <see cref="Rows4{TBlock}"/>, while the next
    /// tile's 8 rows are prefetched block by block (every other block, or none, was slower: 8 streams outrun the
    /// hardware prefetcher). `deepsharp bench -p 0 -n 64`, A/B in one build: 0.5B Q8_0 32.5 → 39.4 t/s at 1 thread,
    /// 50–54 → 62–65 at 2; 1.5B Q8_0 +3–20% at 1 thread, +20% at 2.
    /// </summary>
    [MethodImpl(KernelLoop.Options)]
    public static void Rows8<TBlock>(ref byte row0, nint stride, in Int8Row x, Span<float> y) where TBlock : struct, IBlock
    {
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref float xd = ref MemoryMarshal.GetReference(x.Scales);
        ref float halves = ref Float.HalfTable.First;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> a4 = default, a5 = default, a6 = default, a7 = default;
        nint four = 4 * stride;
        int nb = x.Scales.Length;
        for (int b = 0; b < nb; b++)
        {
            ref byte blk = ref Unsafe.Add(ref row0, b * TBlock.Bytes);
            ref byte blk4 = ref Unsafe.Add(ref blk, four);
            var xq = Vector256.LoadUnsafe(ref q, (nuint)(32 * b));
            var nbias = NegativeBias(xq);
            float s = Unsafe.Add(ref xd, b);
            PrefetchNextTile(ref blk4, stride);
            PrefetchNextTile(ref Unsafe.Add(ref blk4, four), stride);
            a0 = RowStep<TBlock>(ref blk, 0, stride, xq, nbias, s, ref halves, a0);
            a1 = RowStep<TBlock>(ref blk, 1, stride, xq, nbias, s, ref halves, a1);
            a2 = RowStep<TBlock>(ref blk, 2, stride, xq, nbias, s, ref halves, a2);
            a3 = RowStep<TBlock>(ref blk, 3, stride, xq, nbias, s, ref halves, a3);
            a4 = RowStep<TBlock>(ref blk4, 0, stride, xq, nbias, s, ref halves, a4);
            a5 = RowStep<TBlock>(ref blk4, 1, stride, xq, nbias, s, ref halves, a5);
            a6 = RowStep<TBlock>(ref blk4, 2, stride, xq, nbias, s, ref halves, a6);
            a7 = RowStep<TBlock>(ref blk4, 3, stride, xq, nbias, s, ref halves, a7);
        }
        Store(y, 0, a0, a1, a2, a3);
        Store(y, 4, a4, a5, a6, a7);
    }

    /// <summary>
    /// y [8] ← a <see cref="Rows8Pack"/> Q8_0 or Q5_0 group's 8 rows · x (TBlock: <see cref="PackedQ8_0Block"/> or
    /// <see cref="PackedQ5_0Block"/>): decode's one token. The group's blocks lie one after another, so the weights
    /// arrive as one stream the hardware prefetcher follows (the file's 8 rows were 8 streams it lost, held up by
    /// software prefetches), prefetched <see cref="StreamPrefetch.Bytes"/> ahead as well where this CPU gains by it;
    /// and each block's 8 scales are widened and multiplied by the token's in three vector steps, lane k then spread to
    /// row k's steps, instead of a table lookup, a multiply and a broadcast per row. Without AVX-VNNI the sign moves the
    /// other way than in <see cref="Lanes"/>: |x| once per block for all 8 rows, and each row's values with x's signs
    /// (<see cref="PackedLanes"/>), one operation per row fewer — which needs no value of −128 (its negation does not
    /// fit a byte): <see cref="Rows8Pack"/> packs no Q8_0 matrix that has one. Same integer lanes and float steps per row
    /// as <see cref="Rows8{TBlock}"/>: bit-identical. (Q5_0 groups without AVX-VNNI but with AVX-512 VBMI take
    /// <see cref="PackedQ5_0Avx512"/> instead, from <see cref="Rows8PackedRange{TBlock}"/>.)
    /// </summary>
    public static unsafe void Rows8Packed<TBlock>(byte* group, in Int8Row x, Span<float> y) where TBlock : struct, IBlock =>
        Rows8PackedRange<TBlock>(group, x, 0, x.Scales.Length, null, y);

    /// <summary>
    /// <see cref="Rows8Packed"/> over blocks [b0, b1) only, block b at <paramref name="blocks"/> + b·TBlock.Bytes: a
    /// chunk of a chunked <see cref="Rows8Pack"/>. The 8 accumulators start from <paramref name="acc"/> (null: zero) and
    /// go back there, unless <paramref name="y"/> is given: then their sums go to y. Kept in memory between chunks, the
    /// accumulators take the same steps as in one run: the same bits.
    /// </summary>
    [MethodImpl(KernelLoop.Options)]
    public static unsafe void Rows8PackedRange<TBlock>(byte* blocks, in Int8Row x, int b0, int b1, Vector256<float>* acc, Span<float> y)
        where TBlock : struct, IBlock
    {
        if (typeof(TBlock) == typeof(PackedQ5_0Block) && PackedQ5_0Avx512.Applies)
        {
            PackedQ5_0Avx512.Rows8Range(blocks, x, b0, b1, acc, y);
            return;
        }
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref float xd = ref MemoryMarshal.GetReference(x.Scales);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> a4 = default, a5 = default, a6 = default, a7 = default;
        if (acc != null) (a0, a1, a2, a3, a4, a5, a6, a7) = (acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]);
        var (k0, k1, k2, k3) = (Vector256.Create(0), Vector256.Create(1), Vector256.Create(2), Vector256.Create(3));
        var (k4, k5, k6, k7) = (Vector256.Create(4), Vector256.Create(5), Vector256.Create(6), Vector256.Create(7));
        byte* group = blocks;
        for (int b = b0; b < b1; b++)
        {
            ref byte blk = ref *(group + b * TBlock.Bytes);
            StreamPrefetch.Ahead(group + b * TBlock.Bytes, TBlock.Bytes);
            var xq = Vector256.LoadUnsafe(ref q, (nuint)(32 * b));
            var shared = PackedShared(xq);
            var d = Float.HalfVector.ToSingleFinite((short*)Unsafe.AsPointer(ref blk)) * Vector256.Create(Unsafe.Add(ref xd, b));
            var (v0, v1) = RowPairValues<TBlock>(ref blk, 0);
            a0 = PackedStep(PackedLanes(v0, xq, shared), Avx2.PermuteVar8x32(d, k0), a0);
            a1 = PackedStep(PackedLanes(v1, xq, shared), Avx2.PermuteVar8x32(d, k1), a1);
            var (v2, v3) = RowPairValues<TBlock>(ref blk, 2);
            a2 = PackedStep(PackedLanes(v2, xq, shared), Avx2.PermuteVar8x32(d, k2), a2);
            a3 = PackedStep(PackedLanes(v3, xq, shared), Avx2.PermuteVar8x32(d, k3), a3);
            var (v4, v5) = RowPairValues<TBlock>(ref blk, 4);
            a4 = PackedStep(PackedLanes(v4, xq, shared), Avx2.PermuteVar8x32(d, k4), a4);
            a5 = PackedStep(PackedLanes(v5, xq, shared), Avx2.PermuteVar8x32(d, k5), a5);
            var (v6, v7) = RowPairValues<TBlock>(ref blk, 6);
            a6 = PackedStep(PackedLanes(v6, xq, shared), Avx2.PermuteVar8x32(d, k6), a6);
            a7 = PackedStep(PackedLanes(v7, xq, shared), Avx2.PermuteVar8x32(d, k7), a7);
        }
        FinishRange(acc, y, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>
    /// The end of a group's decode range (<see cref="Rows8PackedRange{TBlock}"/>, <see cref="PackedQ5_0Avx512.Rows8Range"/>):
    /// the 8 accumulators back to <paramref name="acc"/> when <paramref name="y"/> is empty (a chunk of a chunked pack),
    /// else each one's lanes summed into y [k].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void FinishRange(Vector256<float>* acc, Span<float> y, Vector256<float> a0, Vector256<float> a1, Vector256<float> a2,
        Vector256<float> a3, Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        if (y.IsEmpty)
        {
            (acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]) = (a0, a1, a2, a3, a4, a5, a6, a7);
            return;
        }
        Store(y, 0, a0, a1, a2, a3);
        Store(y, 4, a4, a5, a6, a7);
    }

    // What the 8 rows' PackedLanes share per block: with AVX-VNNI −128·Σx (see NegativeBias), else |x|.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PackedShared(Vector256<sbyte> x) => AvxVnni.IsSupported ? NegativeBias(x) : Avx2.Abs(x).AsInt32();

    // Lanes for a packed row (values as RowValues gives them, all above −128), shared being PackedShared(x): without
    // AVX-VNNI |x| · (the values with x's signs), the same exact int32 lanes as |w| · (x with w's signs).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PackedLanes(Vector256<byte> values, Vector256<sbyte> x, Vector256<int> shared) =>
        AvxVnni.IsSupported
            ? Lanes(values, x, shared)
            : IntegerDotAvx2.UnsignedLanes(shared.AsByte(), Avx2.Sign(values.AsSByte(), x));

    // One row's block against the token's, its scale product already in every lane of d.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> PackedStep(Vector256<int> lanes, Vector256<float> d, Vector256<float> acc) =>
        Fma.MultiplyAdd(d, Avx.ConvertToVector256Single(lanes), acc);

    // One row's block against the token's: its float step (the scale product is one scalar multiply).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> RowStep<TBlock>(ref byte blk, nint k, nint stride, Vector256<sbyte> xq, Vector256<int> nbias, float s,
        ref float halves, Vector256<float> acc) where TBlock : struct, IBlock
        => Step(Lanes(RowValues<TBlock>(ref blk, k, stride), xq, nbias), Scale(ref halves, ref TBlock.Scale(ref blk, k, stride)) * s, acc);

    /// <summary>y0 [4] ← the 4 rows · x0, y1 [4] ← the 4 rows · x1 (chunks as <see cref="Rows4{TBlock}"/>).</summary>
    [MethodImpl(KernelLoop.Options)]
    public static void Rows4x2<TBlock>(ref byte row0, nint stride, int chunkBlocks, nint chunkStride, in Int8Row x0, in Int8Row x1,
        Span<float> y0, Span<float> y1) where TBlock : struct, IBlock
    {
        ref sbyte q0 = ref MemoryMarshal.GetReference(x0.Quants);
        ref sbyte q1 = ref MemoryMarshal.GetReference(x1.Quants);
        ref float xd0 = ref MemoryMarshal.GetReference(x0.Scales);
        ref float xd1 = ref MemoryMarshal.GetReference(x1.Scales);
        Vector256<float> a00 = default, a10 = default, a20 = default, a30 = default;
        Vector256<float> a01 = default, a11 = default, a21 = default, a31 = default;
        ref float halves = ref Float.HalfTable.First;
        int nb = x0.Scales.Length;
        ref byte chunk = ref row0;
        for (int c0 = 0; c0 < nb; c0 += chunkBlocks, chunk = ref Unsafe.Add(ref chunk, chunkStride))
        {
            for (int b = c0, c1 = Math.Min(nb, c0 + chunkBlocks); b < c1; b++)
            {
                ref byte blk = ref Unsafe.Add(ref chunk, (b - c0) * TBlock.Bytes);
                var xq0 = Vector256.LoadUnsafe(ref q0, (nuint)(32 * b));
                var xq1 = Vector256.LoadUnsafe(ref q1, (nuint)(32 * b));
                var nb0 = NegativeBias(xq0);
                var nb1 = NegativeBias(xq1);
                float s0 = Unsafe.Add(ref xd0, b), s1 = Unsafe.Add(ref xd1, b);

                var v = RowValues<TBlock>(ref blk, 0, stride);
                float d = Scale(ref halves, ref TBlock.Scale(ref blk, 0, stride));
                a00 = Step(Lanes(v, xq0, nb0), d * s0, a00);
                a01 = Step(Lanes(v, xq1, nb1), d * s1, a01);

                v = RowValues<TBlock>(ref blk, 1, stride);
                d = Scale(ref halves, ref TBlock.Scale(ref blk, 1, stride));
                a10 = Step(Lanes(v, xq0, nb0), d * s0, a10);
                a11 = Step(Lanes(v, xq1, nb1), d * s1, a11);

                v = RowValues<TBlock>(ref blk, 2, stride);
                d = Scale(ref halves, ref TBlock.Scale(ref blk, 2, stride));
                a20 = Step(Lanes(v, xq0, nb0), d * s0, a20);
                a21 = Step(Lanes(v, xq1, nb1), d * s1, a21);

                v = RowValues<TBlock>(ref blk, 3, stride);
                d = Scale(ref halves, ref TBlock.Scale(ref blk, 3, stride));
                a30 = Step(Lanes(v, xq0, nb0), d * s0, a30);
                a31 = Step(Lanes(v, xq1, nb1), d * s1, a31);
            }
        }
        Store(y0, 0, a00, a10, a20, a30);
        Store(y1, 0, a01, a11, a21, a31);
    }

    /// <summary>
    /// y [t·yStride + k] ← row k · x_t for 4 rows and tokens t &lt; <paramref name="nTok"/> (a multiple of 4), 8 tokens
    /// at a time, then 4. AVX-512 only: the float steps run on 512-bit vectors, two rows per vector, so 16 accumulators
    /// for 8 tokens. The integer lanes come from AVX-512BW's byte multiply-add with the sign moved onto the activations
    /// (|w|·(x·sign w), llama.cpp's AVX2 trick; ≤ 2·128·127 per int16 pair, exact), not from AVX-VNNI's dpbusd: that
    /// one is VEX-encoded, reaches only the first 16 registers, and the JIT kept 5 accumulators on the stack, stored
    /// and reloaded every block. All-EVEX, everything stays in registers (in-process A/B, 64-token products over the
    /// 0.5B and 1.5B Q8_0 layers: 1.11–1.42x at 1 thread, 1.08–1.14x at 2). The token loop is inside so that a short
    /// row (0.5B: 28 blocks) does not pay four checked activation rows per 4 tokens. Why 8 tokens: a block's
    /// weights, signs and scales are formed once for twice the tokens (in-process A/B on a Zen 4, 512 tokens: 1.02–1.11x
    /// over 4 at a time).
    /// </summary>
    [MethodImpl(KernelLoop.Options)]
    public static void Rows4x4<TBlock>(ref byte row0, nint stride, int chunkBlocks, nint chunkStride, in TokenRows x, int nTok, int blocks,
        Span<float> y, int yStride) where TBlock : struct, IBlock
    {
        int t = 0;
        for (; t + 8 <= nTok; t += 8)
            RowsTokens<TBlock, Eight>(ref row0, stride, chunkBlocks, chunkStride, x, t, blocks, y.Slice(t * yStride), yStride);
        if (t < nTok) RowsTokens<TBlock, Four>(ref row0, stride, chunkBlocks, chunkStride, x, t, blocks, y.Slice(t * yStride), yStride);
    }

    /// <summary>How many tokens one <see cref="RowsTokens"/> call takes: a constant to the JIT, which drops the rest.</summary>
    internal interface ITokenCount { static abstract int Count { get; } }
    internal struct Four : ITokenCount { public static int Count => 4; }
    internal struct Eight : ITokenCount { public static int Count => 8; }

    // One 512-bit accumulator per (pair of rows, token): rows 0 and 1 (2 and 3) in its low and high 256 bits. The float
    // steps — convert, multiply the two scales, fused multiply-add — are lane for lane those of the 256-bit form. The
    // tokens' rows are found from the first by a fixed stride, so 8 tokens take 2 registers, not 16. A method of its
    // own per count (KernelLoop.Options): both inlined into Rows4x4, the JIT ran out of inlining budget and called
    // TokenRows' accessors, and the 8-token tile was no faster than 4.
    [MethodImpl(KernelLoop.Options)]
    private static unsafe void RowsTokens<TBlock, TCount>(ref byte row0, nint stride, int chunkBlocks, nint chunkStride, in TokenRows x, int t,
        int nb, Span<float> y, int yStride) where TBlock : struct, IBlock where TCount : struct, ITokenCount
    {
        sbyte* q = (sbyte*)Unsafe.AsPointer(ref x.QuantsAt(t));   // pinned (Int8Activations)
        nint qStep = (nint)((sbyte*)Unsafe.AsPointer(ref x.QuantsAt(t + 1)) - q);
        ref float xd = ref x.ScalesAt(t);
        nint dStep = Unsafe.ByteOffset(ref xd, ref x.ScalesAt(t + 1)) / sizeof(float);
        Vector512<float> p0 = default, p1 = default, p2 = default, p3 = default, p4 = default, p5 = default, p6 = default, p7 = default;
        Vector512<float> r0 = default, r1 = default, r2 = default, r3 = default, r4 = default, r5 = default, r6 = default, r7 = default;
        ref float halves = ref Float.HalfTable.First;
        ref byte chunk = ref row0;
        for (int c0 = 0; c0 < nb; c0 += chunkBlocks, chunk = ref Unsafe.Add(ref chunk, chunkStride))
        {
            for (int b = c0, c1 = Math.Min(nb, c0 + chunkBlocks); b < c1; b++)
            {
                ref byte blk = ref Unsafe.Add(ref chunk, (b - c0) * TBlock.Bytes);
                var w01 = TBlock.WeightPair(ref blk, 0, stride).AsSByte();
                var w23 = TBlock.WeightPair(ref blk, 2, stride).AsSByte();
                var (a01, a23) = (Avx512BW.Abs(w01), Avx512BW.Abs(w23));
                var (n01, n23) = (Vector512.LessThan(w01, Vector512<sbyte>.Zero), Vector512.LessThan(w23, Vector512<sbyte>.Zero));
                var d01 = Halves512.Join(Vector256.Create(Scale(ref halves, ref TBlock.Scale(ref blk, 0, stride))),
                    Vector256.Create(Scale(ref halves, ref TBlock.Scale(ref blk, 1, stride))));
                var d23 = Halves512.Join(Vector256.Create(Scale(ref halves, ref TBlock.Scale(ref blk, 2, stride))),
                    Vector256.Create(Scale(ref halves, ref TBlock.Scale(ref blk, 3, stride))));
                sbyte* xb = q + 32 * b;
                ref float sb = ref Unsafe.Add(ref xd, b);
                TokenStep(a01, a23, n01, n23, d01, d23, xb, ref sb, ref p0, ref r0);
                TokenStep(a01, a23, n01, n23, d01, d23, xb + qStep, ref Unsafe.Add(ref sb, dStep), ref p1, ref r1);
                TokenStep(a01, a23, n01, n23, d01, d23, xb + 2 * qStep, ref Unsafe.Add(ref sb, 2 * dStep), ref p2, ref r2);
                TokenStep(a01, a23, n01, n23, d01, d23, xb + 3 * qStep, ref Unsafe.Add(ref sb, 3 * dStep), ref p3, ref r3);
                if (TCount.Count == 8)
                {
                    TokenStep(a01, a23, n01, n23, d01, d23, xb + 4 * qStep, ref Unsafe.Add(ref sb, 4 * dStep), ref p4, ref r4);
                    TokenStep(a01, a23, n01, n23, d01, d23, xb + 5 * qStep, ref Unsafe.Add(ref sb, 5 * dStep), ref p5, ref r5);
                    TokenStep(a01, a23, n01, n23, d01, d23, xb + 6 * qStep, ref Unsafe.Add(ref sb, 6 * dStep), ref p6, ref r6);
                    TokenStep(a01, a23, n01, n23, d01, d23, xb + 7 * qStep, ref Unsafe.Add(ref sb, 7 * dStep), ref p7, ref r7);
                }
            }
        }
        Store(y, 0, p0, r0);
        Store(y, yStride, p1, r1);
        Store(y, 2 * yStride, p2, r2);
        Store(y, 3 * yStride, p3, r3);
        if (TCount.Count < 8) return;
        Store(y, 4 * yStride, p4, r4);
        Store(y, 5 * yStride, p5, r5);
        Store(y, 6 * yStride, p6, r6);
        Store(y, 7 * yStride, p7, r7);
    }

    // One token's block against the 4 rows (|w|, w's signs and the scales of rows 0–1 and 2–3): p (rows 0–1) and r
    // (rows 2–3) take their steps. Accumulators by reference (a helper returning both as a pair ran 5–10% slower), the
    // token's scale by reference too (broadcast straight from memory; by value it took a load and a shuffle), and the
    // row pairs' parts as separate arguments (in one struct, the JIT turned the sign masks into vectors and back).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TokenStep(Vector512<byte> abs01, Vector512<byte> abs23, Vector512<sbyte> negative01,
        Vector512<sbyte> negative23, Vector512<float> d01, Vector512<float> d23, sbyte* xq, ref float xScale,
        ref Vector512<float> p, ref Vector512<float> r)
    {
        var x = Halves512.Broadcast(xq);
        var minusX = Vector512<sbyte>.Zero - x;
        var s = Vector512.Create(xScale);
        p = SignStep(abs01, negative01, x, minusX, d01 * s, p);
        r = SignStep(abs23, negative23, x, minusX, d23 * s, r);
    }

    // y [at .. at + 4] ← one token's 4 rows (rows 0–1 in p, 2–3 in r).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Span<float> y, int at, Vector512<float> p, Vector512<float> r) =>
        Store(y, at, p.GetLower(), p.GetUpper(), r.GetLower(), r.GetUpper());

    // One token's block against a pair of rows: acc + d·float(Σ by 4 of |w|·(x·sign w)), the int32 lanes dpbusd gives.
    // x·sign w is one byte blend under w's sign mask (a mask register: the compare is not widened to a vector) between
    // x and −x, the negation formed once per token for both pairs: in-process A/B on a Zen 4, 1.05x over the
    // xor-and-subtract it replaces (1.09x with the broadcast load above).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> SignStep(Vector512<byte> absW, Vector512<sbyte> negW, Vector512<sbyte> x, Vector512<sbyte> minusX,
        Vector512<float> d, Vector512<float> acc)
    {
        // IntegerDotAvx512.SignedLanes' steps, with |w| and w's signs formed once per block for all the tile's tokens.
        var lanes = IntegerDotAvx512.UnsignedLanes(absW, Avx512BW.BlendVariable(x, minusX, negW));
        return Avx512F.FusedMultiplyAdd(d, Avx512F.ConvertToVector512Single(lanes), acc);
    }

    // y [at .. at + 4] ← the four accumulators' sums (IntegerDotAvx2.Reduce4: Reduce's order, four at a time).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Span<float> y, int at, Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3) =>
        IntegerDotAvx2.Reduce4(r0, r1, r2, r3).StoreUnsafe(ref MemoryMarshal.GetReference(y.Slice(at, 4)));

    // Four rows are four short streams the hardware prefetcher keeps losing at each new tile: fetch the next tile's
    // bytes (4 rows on) while this one is computed, so decode stays bandwidth-bound.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchNextTile(ref byte blk, nint stride)
    {
        byte* p = (byte*)Unsafe.AsPointer(ref blk) + 4 * stride;
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + stride);
        Sse.Prefetch0(p + 2 * stride);
        Sse.Prefetch0(p + 3 * stride);
    }

    // The block's f16 scale (its first two bytes) through the conversion table's first entry, which each loop reads
    // once before it starts (see Float.HalfTable.First).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scale(ref float halves, ref byte blk) => Float.HalfTable.At(ref halves, ref blk);
}
