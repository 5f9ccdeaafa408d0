using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Eight consecutive rows of a matrix llama.cpp repacks (Q4_0, Q4_K; <see cref="IntegerDot.LlamaRepacks"/>) against
/// one token, as llama.cpp's AVX2 gemv does it: float lane r is row r's own accumulator, so each row still gets
/// fma(block integer sum, f16(d)·d_x, acc) block after block — bit-identical to <see cref="IntegerDotScalar.Q4_0x8"/>
/// and <see cref="IntegerDotScalar.Q4Kx8"/> — while the horizontal sums of 8 rows cost one transposing reduction.
/// </summary>
[SkipLocalsInit]
internal static class IntegerDotRows8
{
    /// <summary>y [8] ← rows r0..r0+7 of <paramref name="w"/> · x.</summary>
    public static void Dot(QTensor w, long r0, in Int8Row x, Span<float> y)
    {
        if (w.Type == Core.Quant.QuantType.Q4_0) Q4_0(w, r0, x, y);
        else Q4K(w, r0, x, y);
    }

    // [Σ v0, Σ v1, …, Σ v7]: exact int32 sums of each vector's 8 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Sums8(Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3,
        Vector256<int> v4, Vector256<int> v5, Vector256<int> v6, Vector256<int> v7)
    {
        var a = Avx2.HorizontalAdd(Avx2.HorizontalAdd(v0, v1), Avx2.HorizontalAdd(v2, v3));
        var b = Avx2.HorizontalAdd(Avx2.HorizontalAdd(v4, v5), Avx2.HorizontalAdd(v6, v7));
        return Avx2.Permute2x128(a, b, 0x20) + Avx2.Permute2x128(a, b, 0x31);
    }

    private static Vector256<int> Q4_0Lanes(ref byte blk, ref sbyte q) =>
        IntegerDotAvx2.SignedLanes((IntegerDotAvx2.Nibbles32(ref Unsafe.Add(ref blk, 2)) - Vector256.Create((byte)8)).AsSByte(),
            Vector256.LoadUnsafe(ref q));

    private static void Q4_0(QTensor w, long r0, in Int8Row x, Span<float> y)
    {
        ref byte row0 = ref MemoryMarshal.GetReference(w.Row(r0));
        nint stride = (nint)w.RowBytes;
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        Span<float> dw = stackalloc float[8];
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref row0, b * 18);
            ref sbyte qb = ref Unsafe.Add(ref q, b * 32);
            var sums = Sums8(
                Q4_0Lanes(ref blk, ref qb), Q4_0Lanes(ref Unsafe.Add(ref blk, stride), ref qb),
                Q4_0Lanes(ref Unsafe.Add(ref blk, 2 * stride), ref qb), Q4_0Lanes(ref Unsafe.Add(ref blk, 3 * stride), ref qb),
                Q4_0Lanes(ref Unsafe.Add(ref blk, 4 * stride), ref qb), Q4_0Lanes(ref Unsafe.Add(ref blk, 5 * stride), ref qb),
                Q4_0Lanes(ref Unsafe.Add(ref blk, 6 * stride), ref qb), Q4_0Lanes(ref Unsafe.Add(ref blk, 7 * stride), ref qb));
            for (int r = 0; r < 8; r++) dw[r] = IntegerDotAvx2.HalfAt(ref Unsafe.Add(ref blk, r * stride), 0);
            var scale = Vector256.Create(dw) * Vector256.Create(x.Scales[b]);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), scale, acc);
        }
        acc.CopyTo(y);
    }

    // One row's Q4_K block: its 8 lanes of scale·products and its 4 min products.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4KLanes(ref byte blk, ref sbyte q8, ref short bsums, out int minSum)
    {
        var (scales, mins) = KScales.Unpack(ref Unsafe.Add(ref blk, 4));
        var sums32 = Ssse3.HorizontalAdd(Vector128.LoadUnsafe(ref bsums), Vector128.LoadUnsafe(ref bsums, 8));
        minSum = Vector128.Sum(Sse2.MultiplyAddAdjacent(mins, sums32));
        var m4 = Vector256.Create((byte)0x0F);
        var sumi = Vector256<int>.Zero;
        for (int c = 0; c < 4; c++)
        {
            var bits = Vector256.LoadUnsafe(ref blk, (nuint)(16 + 32 * c));
            var lo = bits & m4;
            var hi = Avx2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & m4;
            var pLo = Avx2.MultiplyAddAdjacent(lo, Vector256.LoadUnsafe(ref q8, (nuint)(64 * c)));
            var pHi = Avx2.MultiplyAddAdjacent(hi, Vector256.LoadUnsafe(ref q8, (nuint)(64 * c + 32)));
            sumi += Avx2.MultiplyAddAdjacent(pLo, Vector256.Create(scales.GetElement(2 * c)))
                + Avx2.MultiplyAddAdjacent(pHi, Vector256.Create(scales.GetElement(2 * c + 1)));
        }
        return sumi;
    }

    private static void Q4K(QTensor w, long r0, in Int8Row x, Span<float> y)
    {
        ref byte row0 = ref MemoryMarshal.GetReference(w.Row(r0));
        nint stride = (nint)w.RowBytes;
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref short bs = ref MemoryMarshal.GetReference(x.BlockSums);
        Span<float> d = stackalloc float[8];
        Span<float> dmin = stackalloc float[8];
        Span<int> minSums = stackalloc int[8];
        var acc = Vector256<float>.Zero;
        var accMin = Vector256<float>.Zero;
        for (int b = 0; b < x.Quants.Length / 256; b++)
        {
            ref byte blk = ref Unsafe.Add(ref row0, b * 144);
            ref sbyte qb = ref Unsafe.Add(ref q, b * 256);
            ref short bsb = ref Unsafe.Add(ref bs, b * 16);
            var sums = Sums8(
                Q4KLanes(ref blk, ref qb, ref bsb, out minSums[0]), Q4KLanes(ref Unsafe.Add(ref blk, stride), ref qb, ref bsb, out minSums[1]),
                Q4KLanes(ref Unsafe.Add(ref blk, 2 * stride), ref qb, ref bsb, out minSums[2]), Q4KLanes(ref Unsafe.Add(ref blk, 3 * stride), ref qb, ref bsb, out minSums[3]),
                Q4KLanes(ref Unsafe.Add(ref blk, 4 * stride), ref qb, ref bsb, out minSums[4]), Q4KLanes(ref Unsafe.Add(ref blk, 5 * stride), ref qb, ref bsb, out minSums[5]),
                Q4KLanes(ref Unsafe.Add(ref blk, 6 * stride), ref qb, ref bsb, out minSums[6]), Q4KLanes(ref Unsafe.Add(ref blk, 7 * stride), ref qb, ref bsb, out minSums[7]));
            for (int r = 0; r < 8; r++)
            {
                d[r] = IntegerDotAvx2.HalfAt(ref Unsafe.Add(ref blk, r * stride), 0);
                dmin[r] = IntegerDotAvx2.HalfAt(ref Unsafe.Add(ref blk, r * stride), 2);
            }
            var xd = Vector256.Create(x.Scales[b]);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Vector256.Create<float>(d) * xd, acc);
            accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Vector256.Create<int>(minSums)), Vector256.Create<float>(dmin) * xd, accMin);
        }
        (acc - accMin).CopyTo(y);
    }
}
