using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Q6_K rows · Q8_K tokens, one row against 1 or 4 tokens: each block's 6-bit values and scale vectors are
/// unpacked once and serve every token. The integer lanes are those of <see cref="IntegerDotScalar.Q6K"/> (exact,
/// so summed in any order) and each token keeps its own 8 float lanes with one fused multiply-add per block, in
/// block order: bit-identical to the scalar reference.
/// </summary>
[SkipLocalsInit]
internal static class TilesQ6K
{
    private const int BlockBytes = 210;

    // pshufb controls on a 128-bit lane of 8 int16 scales: group j of a 128-value half takes sub-blocks 2j (low
    // 128 bits of the product vector) and 2j + 1 (high 128 bits), each broadcast to 8 int16 lanes.
    private static readonly Vector256<byte> Pick0 = PickControl(0), Pick1 = PickControl(1), Pick2 = PickControl(2), Pick3 = PickControl(3);

    private static Vector256<byte> PickControl(int j)
    {
        var c = new byte[32];
        for (int i = 0; i < 16; i += 2)
        {
            (c[i], c[i + 1]) = ((byte)(4 * j), (byte)(4 * j + 1));
            (c[16 + i], c[17 + i]) = ((byte)(4 * j + 2), (byte)(4 * j + 3));
        }
        return Vector256.Create(c);
    }

    /// <summary>Half n of a block: its four 32-value groups (values 32k .. 32k + 31 of the half in Qk) as unsigned 6-bit bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector256<byte> Q0, Vector256<byte> Q1, Vector256<byte> Q2, Vector256<byte> Q3) Values(ref byte blk, int n)
    {
        var m4 = Vector256.Create((byte)0x0F);
        var m30 = Vector256.Create((byte)0x30);
        var ql0 = Vector256.LoadUnsafe(ref blk, (nuint)(64 * n));
        var ql1 = Vector256.LoadUnsafe(ref blk, (nuint)(64 * n + 32));
        var qh = Vector256.LoadUnsafe(ref blk, (nuint)(128 + 32 * n)).AsUInt16();
        return ((ql0 & m4) | (Avx2.ShiftLeftLogical(qh, 4).AsByte() & m30),
            (ql1 & m4) | (Avx2.ShiftLeftLogical(qh, 2).AsByte() & m30),
            (Avx2.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte() & m4) | (qh.AsByte() & m30),
            (Avx2.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte() & m4) | (Avx2.ShiftRightLogical(qh, 2).AsByte() & m30));
    }

    /// <summary>The four scale picks, to be read into locals before a loop (see <see cref="Float.HalfTable.First"/>).</summary>
    private readonly struct Picks(Vector256<byte> p0, Vector256<byte> p1, Vector256<byte> p2, Vector256<byte> p3)
    {
        public readonly Vector256<byte> P0 = p0, P1 = p1, P2 = p2, P3 = p3;
    }

    private static Picks LoadPicks() => new(Pick0, Pick1, Pick2, Pick3);

    // The int16 scale vectors of half n's four groups: group k's low 128 bits take sub-block 8n + 2k, its high 128
    // bits sub-block 8n + 2k + 1, each scale in all 8 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short>, Vector256<short>, Vector256<short>, Vector256<short>) Scales(Vector256<short> sc16, int n, Picks picks)
    {
        var half = (n == 0 ? Avx2.Permute2x128(sc16, sc16, 0x00) : Avx2.Permute2x128(sc16, sc16, 0x11)).AsByte();
        return (Avx2.Shuffle(half, picks.P0).AsInt16(), Avx2.Shuffle(half, picks.P1).AsInt16(),
            Avx2.Shuffle(half, picks.P2).AsInt16(), Avx2.Shuffle(half, picks.P3).AsInt16());
    }

    // Σ over the 4 groups of a half: scale · (pairs of 6-bit value · activation), 8 int32 lanes. Values and scales come
    // as separate vectors, not one struct: the JIT keeps at most four fields of a struct in registers, and a struct of
    // all eight went through the stack every block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> HalfLanes(Vector256<byte> q0, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3,
        Vector256<short> s0, Vector256<short> s1, Vector256<short> s2, Vector256<short> s3, ref sbyte q8) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q0, Vector256.LoadUnsafe(ref q8)), s0)
        + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q1, Vector256.LoadUnsafe(ref q8, 32)), s1)
        + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q2, Vector256.LoadUnsafe(ref q8, 64)), s2)
        + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q3, Vector256.LoadUnsafe(ref q8, 96)), s3);

    // −32 · (scale · 16-value activation sum), lane k from sub-blocks 2k and 2k + 1: the offset of the unsigned values.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Offset(Vector256<short> sc16, ref short bsums) =>
        Vector256<int>.Zero - Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(sc16, Vector256.LoadUnsafe(ref bsums)), 5);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Step(Vector256<int> lanes, float d, Vector256<float> acc) =>
        Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);

    private readonly ref struct Token
    {
        public readonly ref sbyte Q;
        public readonly ref short Sums;
        public readonly ref float D;

        public Token(in Int8Row x)
        {
            Q = ref MemoryMarshal.GetReference(x.Quants);
            Sums = ref MemoryMarshal.GetReference(x.BlockSums);
            D = ref MemoryMarshal.GetReference(x.Scales);
        }
    }

    // Bytes ahead of the block being read that the 4-token kernels prefetch (about 10 blocks). Rows lie one after another,
    // so this runs into the next rows too. Why: the 4-token tiles compute long enough per block that the hardware
    // prefetcher falls behind when the weights come from memory; the server's 4-session step went from 47 to 42 ms
    // (LoadBench --step-profile, 1.5B Q4_K_M, 3 A/B pairs). Prefetching never faults, past the matrix's end included.
    private const int PrefetchDistance = 2048;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void PrefetchAhead(ref byte blk) =>
        KernelLoop.Prefetch((byte*)Unsafe.AsPointer(ref blk) + PrefetchDistance, BlockBytes);

    // Decode's 512-bit one-token rows prefetch StreamPrefetch.Bytes ahead (into the next rows) on the CPUs that gain by
    // it. Why: without it they streamed at ~70% of a plain read of their bytes at 1 thread on the Zen 5 host, where the
    // packed kernels reach ~87%, though in cache they compute about as fast (56 against 60–76 GB/s). One 110 MB matrix,
    // 1 thread, against none: 1 KB ahead 0.92x, 2 KB 1.02x (session 11's try: "3–6% slower"), 4–32 KB 1.11–1.36x. The
    // AVX2 rows measured 1.04x and 0.98x (1 and 2 threads, whole decode steps), so they have none.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void PrefetchForDecode(ref byte blk) =>
        StreamPrefetch.Ahead((byte*)Unsafe.AsPointer(ref blk), BlockBytes);

    /// <summary>The block's f16 scale d, through the conversion table's first entry <paramref name="halves"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float BlockScale(ref float halves, ref byte blk) => Float.HalfTable.At(ref halves, ref Unsafe.Add(ref blk, 208));

    /// <summary>
    /// y [r] ← row r · x for the <paramref name="rows"/> rows from <paramref name="row0"/>, <paramref name="stride"/>
    /// bytes apart (several rows per call: the output projection's rows are only 6 blocks long).
    /// </summary>
    [MethodImpl(KernelLoop.Options)]
    public static void Rows(ref byte row0, nint stride, int rows, in Int8Row x, Span<float> y)
    {
        var t = new Token(x);
        var picks = LoadPicks();
        ref float halves = ref Float.HalfTable.First;
        int nb = x.Quants.Length / 256;
        for (int r = 0; r < rows; r++)
        {
            ref byte row = ref Unsafe.Add(ref row0, r * stride);
            var acc = Vector256<float>.Zero;
            for (int b = 0; b < nb; b++)
            {
                ref byte blk = ref Unsafe.Add(ref row, b * BlockBytes);
                var sc16 = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref blk, 192).AsSByte());
                ref sbyte q = ref Unsafe.Add(ref t.Q, 256 * b);
                var (v0, v1, v2, v3) = Values(ref blk, 0);
                var (s0, s1, s2, s3) = Scales(sc16, 0, picks);
                var lanes = Offset(sc16, ref Unsafe.Add(ref t.Sums, 16 * b)) + HalfLanes(v0, v1, v2, v3, s0, s1, s2, s3, ref q);
                (v0, v1, v2, v3) = Values(ref blk, 1);
                (s0, s1, s2, s3) = Scales(sc16, 1, picks);
                lanes += HalfLanes(v0, v1, v2, v3, s0, s1, s2, s3, ref Unsafe.Add(ref q, 128));
                acc = Step(lanes, Unsafe.Add(ref t.D, b) * BlockScale(ref halves, ref blk), acc);
            }
            y[r] = IntegerDotAvx2.Reduce(acc);
        }
    }

    /// <summary>
    /// y [k·yStride + r] ← row r · token k, k &lt; 4, for the <paramref name="rows"/> rows from <paramref name="row0"/>,
    /// <paramref name="stride"/> bytes apart.
    /// </summary>
    [MethodImpl(KernelLoop.Options)]
    public static void RowsX4(ref byte row0, nint stride, int rows, in Int8Row x0, in Int8Row x1, in Int8Row x2, in Int8Row x3,
        Span<float> y, int yStride)
    {
        Token t0 = new(x0), t1 = new(x1), t2 = new(x2), t3 = new(x3);
        var picks = LoadPicks();
        ref float halves = ref Float.HalfTable.First;
        int nb = x0.Quants.Length / 256;
        for (int r = 0; r < rows; r++)
        {
            ref byte row = ref Unsafe.Add(ref row0, r * stride);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int b = 0; b < nb; b++)
            {
                ref byte blk = ref Unsafe.Add(ref row, b * BlockBytes);
                PrefetchAhead(ref blk);
                var sc16 = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref blk, 192).AsSByte());
                int at = 256 * b;
                var l0 = Offset(sc16, ref Unsafe.Add(ref t0.Sums, 16 * b));
                var l1 = Offset(sc16, ref Unsafe.Add(ref t1.Sums, 16 * b));
                var l2 = Offset(sc16, ref Unsafe.Add(ref t2.Sums, 16 * b));
                var l3 = Offset(sc16, ref Unsafe.Add(ref t3.Sums, 16 * b));
                for (int n = 0; n < 2; n++)
                {
                    var (v0, v1, v2, v3) = Values(ref blk, n);
                    var (s0, s1, s2, s3) = Scales(sc16, n, picks);
                    int h = at + 128 * n;
                    l0 += HalfLanes(v0, v1, v2, v3, s0, s1, s2, s3, ref Unsafe.Add(ref t0.Q, h));
                    l1 += HalfLanes(v0, v1, v2, v3, s0, s1, s2, s3, ref Unsafe.Add(ref t1.Q, h));
                    l2 += HalfLanes(v0, v1, v2, v3, s0, s1, s2, s3, ref Unsafe.Add(ref t2.Q, h));
                    l3 += HalfLanes(v0, v1, v2, v3, s0, s1, s2, s3, ref Unsafe.Add(ref t3.Q, h));
                }
                float d = BlockScale(ref halves, ref blk);
                a0 = Step(l0, Unsafe.Add(ref t0.D, b) * d, a0);
                a1 = Step(l1, Unsafe.Add(ref t1.D, b) * d, a1);
                a2 = Step(l2, Unsafe.Add(ref t2.D, b) * d, a2);
                a3 = Step(l3, Unsafe.Add(ref t3.D, b) * d, a3);
            }
            y[r] = IntegerDotAvx2.Reduce(a0);
            y[yStride + r] = IntegerDotAvx2.Reduce(a1);
            y[2 * yStride + r] = IntegerDotAvx2.Reduce(a2);
            y[3 * yStride + r] = IntegerDotAvx2.Reduce(a3);
        }
    }
}
