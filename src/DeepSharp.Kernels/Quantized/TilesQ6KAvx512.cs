using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// <see cref="TilesQ6K.RowX4"/> on 512-bit vectors: a block's 256 six-bit values are unpacked once into four
/// 64-value vectors with their scale vectors, and each of the 4 tokens then takes four 64-value multiply-adds
/// (maddubs then madd with the scales) instead of eight 32-value ones. The 8 int32 lanes per block
/// are the same exact sums, and each token's float steps are those of the scalar reference: bit-identical.
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

    // One block unpacked: values [64j, 64j + 64) in W_j (unsigned 6-bit), their 16-value scales in S_j.
    private struct Block
    {
        public Vector512<byte> W0, W1, W2, W3;
        public Vector512<short> S0, S1, S2, S3;
        public Vector256<short> Scales;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Block Unpack(ref byte blk)
    {
        var sc16 = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref blk, 192).AsSByte());
        var wide = Vector512.Create(sc16, sc16);
        var b = new Block
        {
            Scales = sc16,
            S0 = Avx512BW.PermuteVar32x16(wide, ScalePick[0]),
            S1 = Avx512BW.PermuteVar32x16(wide, ScalePick[1]),
            S2 = Avx512BW.PermuteVar32x16(wide, ScalePick[2]),
            S3 = Avx512BW.PermuteVar32x16(wide, ScalePick[3]),
        };
        var (q0, q1, q2, q3) = TilesQ6K.Values(ref blk, 0);
        (b.W0, b.W1) = (Vector512.Create(q0, q1), Vector512.Create(q2, q3));
        (q0, q1, q2, q3) = TilesQ6K.Values(ref blk, 1);
        (b.W2, b.W3) = (Vector512.Create(q0, q1), Vector512.Create(q2, q3));
        return b;
    }

    // The block's 8 exact int32 lanes for one token's 256 activations and 16-value sums.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Lanes(in Block b, ref sbyte q, ref short bsums)
    {
        var sum = Scaled(b.W0, Vector512.LoadUnsafe(ref q), b.S0) + Scaled(b.W1, Vector512.LoadUnsafe(ref q, 64), b.S1)
            + Scaled(b.W2, Vector512.LoadUnsafe(ref q, 128), b.S2) + Scaled(b.W3, Vector512.LoadUnsafe(ref q, 192), b.S3);
        var offset = Avx2.MultiplyAddAdjacent(b.Scales, Vector256.LoadUnsafe(ref bsums));
        return sum.GetLower() + sum.GetUpper() - Avx2.ShiftLeftLogical(offset, 5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Scaled(Vector512<byte> w, Vector512<sbyte> x, Vector512<short> scale) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(w, x), scale);

    /// <summary>y [k·yStride] ← the row at <paramref name="row"/> · token k, k &lt; 4.</summary>
    [MethodImpl(KernelLoop.Options)]
    public static void RowX4(ref byte row, in Int8Row x0, in Int8Row x1, in Int8Row x2, in Int8Row x3, Span<float> y, int yStride)
    {
        ref sbyte q0 = ref MemoryMarshal.GetReference(x0.Quants), q1 = ref MemoryMarshal.GetReference(x1.Quants);
        ref sbyte q2 = ref MemoryMarshal.GetReference(x2.Quants), q3 = ref MemoryMarshal.GetReference(x3.Quants);
        ref short s0 = ref MemoryMarshal.GetReference(x0.BlockSums), s1 = ref MemoryMarshal.GetReference(x1.BlockSums);
        ref short s2 = ref MemoryMarshal.GetReference(x2.BlockSums), s3 = ref MemoryMarshal.GetReference(x3.BlockSums);
        ref float d0 = ref MemoryMarshal.GetReference(x0.Scales), d1 = ref MemoryMarshal.GetReference(x1.Scales);
        ref float d2 = ref MemoryMarshal.GetReference(x2.Scales), d3 = ref MemoryMarshal.GetReference(x3.Scales);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int nb = x0.Quants.Length / 256;
        for (int b = 0; b < nb; b++)
        {
            ref byte blk = ref Unsafe.Add(ref row, b * BlockBytes);
            TilesQ6K.PrefetchAhead(ref blk);
            var w = Unpack(ref blk);
            float d = Float.HalfTable.At(ref Unsafe.Add(ref blk, 208));
            int at = 256 * b, sums = 16 * b;
            a0 = Step(Lanes(w, ref Unsafe.Add(ref q0, at), ref Unsafe.Add(ref s0, sums)), Unsafe.Add(ref d0, b) * d, a0);
            a1 = Step(Lanes(w, ref Unsafe.Add(ref q1, at), ref Unsafe.Add(ref s1, sums)), Unsafe.Add(ref d1, b) * d, a1);
            a2 = Step(Lanes(w, ref Unsafe.Add(ref q2, at), ref Unsafe.Add(ref s2, sums)), Unsafe.Add(ref d2, b) * d, a2);
            a3 = Step(Lanes(w, ref Unsafe.Add(ref q3, at), ref Unsafe.Add(ref s3, sums)), Unsafe.Add(ref d3, b) * d, a3);
        }
        y[0] = IntegerDotAvx2.Reduce(a0);
        y[yStride] = IntegerDotAvx2.Reduce(a1);
        y[2 * yStride] = IntegerDotAvx2.Reduce(a2);
        y[3 * yStride] = IntegerDotAvx2.Reduce(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<int> lanes, float d, Vector256<float> acc) =>
        Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);
}
