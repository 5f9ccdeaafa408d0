using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// <see cref="TilesQ6K"/> on 512-bit vectors: a block's 256 six-bit values are unpacked once into four 64-value
/// vectors with their scale vectors (a 64-byte ql load and a doubled qh load per half, variable shifts putting each
/// group's top bits in place), and each token then takes four 64-value multiply-adds (maddubs then madd with the
/// scales) instead of eight 32-value ones. The 8 int32 lanes per block are the same exact sums, and each token's
/// float steps are those of the scalar reference: bit-identical.
/// <para>
/// Written with every vector a local and every constant read before the loop: an earlier form kept the unpacked
/// block in a struct of nine vectors, which the JIT stored to the stack and reloaded every block, and read static
/// fields inside the loop; this one ran the 4-token output projection (151936 × 1536) in 7.4 ms instead of 10.4–11.2
/// at 2 threads (kbench, fully optimised code).
/// </para>
/// </summary>
[SkipLocalsInit]
internal static class TilesQ6KAvx512
{
    private const int BlockBytes = 210;

    // vpermw controls: 128-bit lane k of the scale vector for 64 values starting at sub-block s is scale s + k.
    private static readonly Vector512<short>[] ScalePick = [.. Enumerable.Range(0, 4).Select(j => PickControl(4 * j))];

    private static Vector512<short> PickControl(int s)
    {
        var c = new short[32];
        for (int i = 0; i < 32; i++) c[i] = (short)(s + i / 8);
        return Vector512.Create(c);
    }

    // vpsllvw / vpsrlvw counts that turn a block half's 32 qh bytes, broadcast to both 256-bit halves, into the high
    // 2 bits of its groups 0 and 1 (shift left 4 and 2) or 2 and 3 (shift right 0 and 2).
    private static readonly Vector512<ushort> HighBitsUp = Vector512.Create(Vector256.Create((ushort)4), Vector256.Create((ushort)2));
    private static readonly Vector512<ushort> HighBitsDown = Vector512.Create(Vector256<ushort>.Zero, Vector256.Create((ushort)2));

    /// <summary>
    /// y [k·yStride + r] ← row r · token k, k &lt; 4, for the <paramref name="rows"/> rows from <paramref name="row0"/>,
    /// <paramref name="stride"/> bytes apart.
    /// </summary>
    /// <remarks>
    /// Tokens go in pairs through the steps after the products: one 512-bit vector holds token a's 8 lanes in its low
    /// half and token b's in its high half, so folding, taking the offset, converting and the fused multiply-add run
    /// once per pair (lane for lane the same operations as one token at a time). Several rows per call: the output
    /// projection's rows are 6 blocks long, and setting up the constants and activations once per row cost as much as
    /// a block.
    /// </remarks>
    [MethodImpl(KernelLoop.Options)]
    public static void RowsX4(ref byte row0, nint stride, int rows, in Int8Row x0, in Int8Row x1, in Int8Row x2, in Int8Row x3,
        Span<float> y, int yStride)
    {
        ref sbyte q0 = ref MemoryMarshal.GetReference(x0.Quants), q1 = ref MemoryMarshal.GetReference(x1.Quants);
        ref sbyte q2 = ref MemoryMarshal.GetReference(x2.Quants), q3 = ref MemoryMarshal.GetReference(x3.Quants);
        ref short s0 = ref MemoryMarshal.GetReference(x0.BlockSums), s1 = ref MemoryMarshal.GetReference(x1.BlockSums);
        ref short s2 = ref MemoryMarshal.GetReference(x2.BlockSums), s3 = ref MemoryMarshal.GetReference(x3.BlockSums);
        ref float d0 = ref MemoryMarshal.GetReference(x0.Scales), d1 = ref MemoryMarshal.GetReference(x1.Scales);
        ref float d2 = ref MemoryMarshal.GetReference(x2.Scales), d3 = ref MemoryMarshal.GetReference(x3.Scales);
        // Every constant in a local before the loop: read inside it, static fields kept their initialisation checks in
        // the loop, and the register allocator then spilled the accumulators around them.
        ref float halves = ref Float.HalfTable.First;
        var (pick0, pick1, pick2, pick3) = (ScalePick[0], ScalePick[1], ScalePick[2], ScalePick[3]);
        var (up, down) = (HighBitsUp, HighBitsDown);
        var (m4, m30) = (Vector512.Create((byte)0x0F), Vector512.Create((byte)0x30));
        int nb = x0.Quants.Length / 256;
        for (int r = 0; r < rows; r++)
        {
            ref byte row = ref Unsafe.Add(ref row0, r * stride);
            Vector512<float> a01 = default, a23 = default;
            for (int b = 0; b < nb; b++)
            {
                ref byte blk = ref Unsafe.Add(ref row, b * BlockBytes);
                TilesQ6K.PrefetchAhead(ref blk);
                var sc16 = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref blk, 192).AsSByte());
                var (c0, c1, c2, c3) = ScaleVectors(sc16, pick0, pick1, pick2, pick3);
                // 32·scale fits int16 (|scale| ≤ 128), and madd(32·scale, sums) = 32·madd(scale, sums) exactly in int32.
                var scaled = Avx2.ShiftLeftLogical(sc16, 5);
                var sc32 = Halves512.Join(scaled, scaled);
                var (w0, w1) = Half(ref blk, 0, up, down, m4, m30);
                var (w2, w3) = Half(ref blk, 1, up, down, m4, m30);
                var d = Vector512.Create(TilesQ6K.BlockScale(ref halves, ref blk));
                int at = 256 * b, sums = 16 * b;
                var p0 = Products(w0, w1, w2, w3, c0, c1, c2, c3, ref Unsafe.Add(ref q0, at));
                var p1 = Products(w0, w1, w2, w3, c0, c1, c2, c3, ref Unsafe.Add(ref q1, at));
                a01 = PairStep(p0, p1, sc32, ref Unsafe.Add(ref s0, sums), ref Unsafe.Add(ref s1, sums),
                    d * Halves512.Join(Vector256.Create(Unsafe.Add(ref d0, b)), Vector256.Create(Unsafe.Add(ref d1, b))), a01);
                var p2 = Products(w0, w1, w2, w3, c0, c1, c2, c3, ref Unsafe.Add(ref q2, at));
                var p3 = Products(w0, w1, w2, w3, c0, c1, c2, c3, ref Unsafe.Add(ref q3, at));
                a23 = PairStep(p2, p3, sc32, ref Unsafe.Add(ref s2, sums), ref Unsafe.Add(ref s3, sums),
                    d * Halves512.Join(Vector256.Create(Unsafe.Add(ref d2, b)), Vector256.Create(Unsafe.Add(ref d3, b))), a23);
            }
            y[r] = IntegerDotAvx2.Reduce(a01.GetLower());
            y[yStride + r] = IntegerDotAvx2.Reduce(a01.GetUpper());
            y[2 * yStride + r] = IntegerDotAvx2.Reduce(a23.GetLower());
            y[3 * yStride + r] = IntegerDotAvx2.Reduce(a23.GetUpper());
        }
    }

    // One token's block products before the fold: int32 lane i (and i + 8) holds values with (e mod 32) / 4 = i mod 8.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Products(Vector512<byte> w0, Vector512<byte> w1, Vector512<byte> w2, Vector512<byte> w3,
        Vector512<short> c0, Vector512<short> c1, Vector512<short> c2, Vector512<short> c3, ref sbyte q) =>
        (Scaled(w0, Vector512.LoadUnsafe(ref q), c0) + Scaled(w1, Vector512.LoadUnsafe(ref q, 64), c1))
        + (Scaled(w2, Vector512.LoadUnsafe(ref q, 128), c2) + Scaled(w3, Vector512.LoadUnsafe(ref q, 192), c3));

    // Tokens a (low half) and b (high half): fold each one's 16 lanes to 8, take out 32·Σ scale·(16-value sums), and
    // add lanes·(d·d_x) to the pair's accumulator — Sums and TilesQ6K.Step of each token, side by side.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PairStep(Vector512<int> pa, Vector512<int> pb, Vector512<short> sc32, ref short bsumsA, ref short bsumsB,
        Vector512<float> scale, Vector512<float> acc)
    {
        var low = Avx512F.Shuffle4x128(pa, pb, 0b01_00_01_00);    // [pa lanes 0–7, pb lanes 0–7]
        var high = Avx512F.Shuffle4x128(pa, pb, 0b11_10_11_10);   // [pa lanes 8–15, pb lanes 8–15]
        var bsums = Halves512.Join(Vector256.LoadUnsafe(ref bsumsA), Vector256.LoadUnsafe(ref bsumsB));
        var lanes = low + high - Avx512BW.MultiplyAddAdjacent(sc32, bsums);
        return Avx512F.FusedMultiplyAdd(scale, Avx512F.ConvertToVector512Single(lanes), acc);
    }

    // Half n of a block (values 128n .. 128n + 127) as two 64-value vectors of unsigned 6-bit values: ql's 64 bytes
    // hold groups 0 and 1 of the half in their low nibbles and groups 2 and 3 in their high ones, qh's 32 bytes the
    // top 2 bits of all four (bits 0-1, 2-3, 4-5, 6-7 for groups 0-3).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe (Vector512<byte> Low, Vector512<byte> High) Half(ref byte blk, int n, Vector512<ushort> up, Vector512<ushort> down,
        Vector512<byte> m4, Vector512<byte> m30)
    {
        var ql = Vector512.LoadUnsafe(ref blk, (nuint)(64 * n));
        // qh in both halves by one broadcast load (a load and an insert before: in-process A/B at 1 thread, 1.02x in
        // cache, 1.01–1.04x streamed, same bits).
        var qh = Halves512.Broadcast((sbyte*)Unsafe.AsPointer(ref Unsafe.Add(ref blk, 128 + 32 * n))).AsUInt16();
        return ((ql & m4) | (Avx512BW.ShiftLeftLogicalVariable(qh, up).AsByte() & m30),
            (Avx512BW.ShiftRightLogical(ql.AsUInt16(), 4).AsByte() & m4) | (Avx512BW.ShiftRightLogicalVariable(qh, down).AsByte() & m30));
    }

    // The int16 scale vectors of the block's four 64-value vectors: 128-bit lane k of vector j holds scale 4j + k.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<short>, Vector512<short>, Vector512<short>, Vector512<short>) ScaleVectors(Vector256<short> sc16,
        Vector512<short> pick0, Vector512<short> pick1, Vector512<short> pick2, Vector512<short> pick3)
    {
        var wide = sc16.ToVector512Unsafe();   // the picks read the low 16 lanes only
        return (Avx512BW.PermuteVar32x16(wide, pick0), Avx512BW.PermuteVar32x16(wide, pick1),
            Avx512BW.PermuteVar32x16(wide, pick2), Avx512BW.PermuteVar32x16(wide, pick3));
    }

    /// <summary>
    /// y [r] ← row r · x for the <paramref name="rows"/> rows from <paramref name="row0"/>, <paramref name="stride"/>
    /// bytes apart: decode's one token with each block unpacked in 512-bit steps (several rows per call, as
    /// <see cref="RowsX4"/>), the weights prefetched ahead (<see cref="TilesQ6K.PrefetchForDecode"/>).
    /// </summary>
    [MethodImpl(KernelLoop.Options)]
    public static void Rows(ref byte row0, nint stride, int rows, in Int8Row x, Span<float> y)
    {
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref short s = ref MemoryMarshal.GetReference(x.BlockSums);
        ref float dx = ref MemoryMarshal.GetReference(x.Scales);
        ref float halves = ref Float.HalfTable.First;
        var (pick0, pick1, pick2, pick3) = (ScalePick[0], ScalePick[1], ScalePick[2], ScalePick[3]);
        var (up, down) = (HighBitsUp, HighBitsDown);
        var (m4, m30) = (Vector512.Create((byte)0x0F), Vector512.Create((byte)0x30));
        int nb = x.Quants.Length / 256;
        for (int r = 0; r < rows; r++)
        {
            ref byte row = ref Unsafe.Add(ref row0, r * stride);
            var acc = Vector256<float>.Zero;
            for (int b = 0; b < nb; b++)
            {
                ref byte blk = ref Unsafe.Add(ref row, b * BlockBytes);
                TilesQ6K.PrefetchForDecode(ref blk);
                var sc16 = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref blk, 192).AsSByte());
                var (c0, c1, c2, c3) = ScaleVectors(sc16, pick0, pick1, pick2, pick3);
                var (w0, w1) = Half(ref blk, 0, up, down, m4, m30);
                var (w2, w3) = Half(ref blk, 1, up, down, m4, m30);
                var lanes = Sums(w0, w1, w2, w3, c0, c1, c2, c3, sc16, ref Unsafe.Add(ref q, 256 * b), ref Unsafe.Add(ref s, 16 * b));
                acc = TilesQ6K.Step(lanes, Unsafe.Add(ref dx, b) * TilesQ6K.BlockScale(ref halves, ref blk), acc);
            }
            y[r] = IntegerDotAvx2.Reduce(acc);
        }
    }

    // The block's 8 exact int32 lanes for one token: Σ scale · value · activation less 32 · Σ scale · (16-value sums).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Sums(Vector512<byte> w0, Vector512<byte> w1, Vector512<byte> w2, Vector512<byte> w3,
        Vector512<short> c0, Vector512<short> c1, Vector512<short> c2, Vector512<short> c3, Vector256<short> scales, ref sbyte q, ref short bsums)
    {
        var sum = (Scaled(w0, Vector512.LoadUnsafe(ref q), c0) + Scaled(w1, Vector512.LoadUnsafe(ref q, 64), c1))
            + (Scaled(w2, Vector512.LoadUnsafe(ref q, 128), c2) + Scaled(w3, Vector512.LoadUnsafe(ref q, 192), c3));
        var offset = Avx2.MultiplyAddAdjacent(scales, Vector256.LoadUnsafe(ref bsums));
        return sum.GetLower() + sum.GetUpper() - Avx2.ShiftLeftLogical(offset, 5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Scaled(Vector512<byte> w, Vector512<sbyte> x, Vector512<short> scale) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(w, x), scale);
}
