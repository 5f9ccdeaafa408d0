using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// AVX-512 BW integer dots: the integer products of two 32-value blocks (or two sub-blocks) per 512-bit
/// instruction; the float side stays 8 lanes wide and takes the blocks one after the other in order, so the
/// result is bit-identical to <see cref="IntegerDotScalar"/> (Q5_1 uses the AVX2 kernel).
/// </summary>
[SkipLocalsInit]
internal static class IntegerDotAvx512
{
    // 16 int32 lanes: lanes 0-7 from the first 32 bytes, 8-15 from the next 32, each the sum of 4 products.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> UnsignedLanes(Vector512<byte> w, Vector512<sbyte> x) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(w, x), Vector512<short>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> SignedLanes(Vector512<sbyte> w, Vector512<sbyte> x)
    {
        var signedX = Vector512.ConditionalSelect(Vector512.LessThan(w, Vector512<sbyte>.Zero), Vector512<sbyte>.Zero - x, x);
        return UnsignedLanes(Avx512BW.Abs(w), signedX);
    }

    // acc ← fma(d0, lanes 0-7, acc) then fma(d1, lanes 8-15, acc): two blocks in their order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TwoBlocks(Vector512<int> lanes, float d0, float d1, Vector256<float> acc)
    {
        var f = Avx512F.ConvertToVector512Single(lanes);
        acc = Fma.MultiplyAdd(Vector256.Create(d0), f.GetLower(), acc);
        return Fma.MultiplyAdd(Vector256.Create(d1), f.GetUpper(), acc);
    }

    public static float Q8_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        var acc = Vector256<float>.Zero;
        int nb = x.Scales.Length, b = 0;
        for (; b + 1 < nb; b += 2)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 34);
            var wq = Vector512.Create(Vector256.LoadUnsafe(ref blk, 2), Vector256.LoadUnsafe(ref blk, 36)).AsSByte();
            var lanes = SignedLanes(wq, Vector512.LoadUnsafe(ref q, (nuint)(b * 32)));
            acc = TwoBlocks(lanes, IntegerDotAvx2.HalfAt(ref blk, 0) * x.Scales[b], IntegerDotAvx2.HalfAt(ref blk, 34) * x.Scales[b + 1], acc);
        }
        if (b < nb)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 34);
            var lanes = IntegerDotAvx2.SignedLanes(Vector256.LoadUnsafe(ref blk, 2).AsSByte(), Vector256.LoadUnsafe(ref q, (nuint)(b * 32)));
            acc = Fma.MultiplyAdd(Vector256.Create(IntegerDotAvx2.HalfAt(ref blk, 0) * x.Scales[b]), Avx.ConvertToVector256Single(lanes), acc);
        }
        return IntegerDotAvx2.Reduce(acc);
    }

    public static float Q4_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        var acc = Vector256<float>.Zero;
        var eight = Vector512.Create((byte)8);
        int nb = x.Scales.Length, b = 0;
        for (; b + 1 < nb; b += 2)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 18);
            var nib = Vector512.Create(IntegerDotAvx2.Nibbles32(ref Unsafe.Add(ref blk, 2)), IntegerDotAvx2.Nibbles32(ref Unsafe.Add(ref blk, 20)));
            var lanes = SignedLanes((nib - eight).AsSByte(), Vector512.LoadUnsafe(ref q, (nuint)(b * 32)));
            acc = TwoBlocks(lanes, IntegerDotAvx2.HalfAt(ref blk, 0) * x.Scales[b], IntegerDotAvx2.HalfAt(ref blk, 18) * x.Scales[b + 1], acc);
        }
        if (b < nb)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 18);
            var wq = (IntegerDotAvx2.Nibbles32(ref Unsafe.Add(ref blk, 2)) - Vector256.Create((byte)8)).AsSByte();
            var lanes = IntegerDotAvx2.SignedLanes(wq, Vector256.LoadUnsafe(ref q, (nuint)(b * 32)));
            acc = Fma.MultiplyAdd(Vector256.Create(IntegerDotAvx2.HalfAt(ref blk, 0) * x.Scales[b]), Avx.ConvertToVector256Single(lanes), acc);
        }
        return IntegerDotAvx2.Reduce(acc);
    }

    public static float Q4K(ReadOnlySpan<byte> row, in Int8Row x) => KQuant(row, x, 144, hasHighBit: false, perRow: false);

    public static float Q4Kx8(ReadOnlySpan<byte> row, in Int8Row x) => KQuant(row, x, 144, hasHighBit: false, perRow: true);

    public static float Q5K(ReadOnlySpan<byte> row, in Int8Row x) => KQuant(row, x, 176, hasHighBit: true, perRow: false);

    // perRow: llama.cpp's repacked-Q4_K sums (see IntegerDotScalar.Q4Kx8) instead of vec_dot's lanes.
    private static float KQuant(ReadOnlySpan<byte> row, in Int8Row x, int blockBytes, bool hasHighBit, bool perRow)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref short bsums = ref MemoryMarshal.GetReference(x.BlockSums);
        var acc = Vector256<float>.Zero;
        var accMin = Vector128<float>.Zero;
        float summs = 0, rowAcc = 0, rowMin = 0;
        var m4 = Vector256.Create((byte)0x0F);
        var five = Vector256.Create((byte)0x10);
        for (int b = 0; b < x.Quants.Length / 256; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * blockBytes);
            float xd = x.Scales[b], d = xd * IntegerDotAvx2.HalfAt(ref blk, 0), dmin = -xd * IntegerDotAvx2.HalfAt(ref blk, 2);
            var (scales, mins) = KScales.Unpack(ref Unsafe.Add(ref blk, 4));
            var sums32 = Ssse3.HorizontalAdd(Vector128.LoadUnsafe(ref bsums, (nuint)(16 * b)), Vector128.LoadUnsafe(ref bsums, (nuint)(16 * b + 8)));
            var minProducts = Sse2.MultiplyAddAdjacent(mins, sums32);
            if (perRow) rowMin = MathF.FusedMultiplyAdd(Vector128.Sum(minProducts), IntegerDotAvx2.HalfAt(ref blk, 2) * xd, rowMin);
            else if (hasHighBit) summs = MathF.FusedMultiplyAdd(dmin, Vector128.Sum(minProducts), summs);
            else accMin = Fma.MultiplyAdd(Vector128.Create(dmin), Sse2.ConvertToVector128Single(minProducts), accMin);
            ref byte qs = ref Unsafe.Add(ref blk, hasHighBit ? 48 : 16);
            var qh = Vector256.LoadUnsafe(ref Unsafe.Add(ref blk, 16));
            ref sbyte q8 = ref Unsafe.Add(ref q, b * 256);
            var sumi = Vector512<int>.Zero;
            for (int c = 0; c < 4; c++)
            {
                var bits = Vector256.LoadUnsafe(ref qs, (nuint)(32 * c));
                var lo = bits & m4;
                var hi = Avx2.ShiftRightLogical(bits.AsUInt16(), 4).AsByte() & m4;
                if (hasHighBit)
                {
                    var bitLo = Vector256.Create((byte)(1 << (2 * c)));
                    var bitHi = Vector256.Create((byte)(2 << (2 * c)));
                    lo |= Vector256.Equals(qh & bitLo, bitLo) & five;
                    hi |= Vector256.Equals(qh & bitHi, bitHi) & five;
                }
                var pairs = Avx512BW.MultiplyAddAdjacent(Vector512.Create(lo, hi), Vector512.LoadUnsafe(ref q8, (nuint)(64 * c)));
                var scale = Vector512.Create(Vector256.Create(scales.GetElement(2 * c)), Vector256.Create(scales.GetElement(2 * c + 1)));
                sumi += Avx512BW.MultiplyAddAdjacent(pairs, scale);
            }
            var lanes = sumi.GetLower() + sumi.GetUpper();
            if (perRow) rowAcc = MathF.FusedMultiplyAdd(Vector256.Sum(lanes), IntegerDotAvx2.HalfAt(ref blk, 0) * xd, rowAcc);
            else acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);
        }
        if (perRow) return rowAcc - rowMin;
        if (hasHighBit) return IntegerDotAvx2.Reduce(acc) + summs;
        return IntegerDotAvx2.Reduce(acc) + ((accMin.GetElement(0) + accMin.GetElement(2)) + (accMin.GetElement(1) + accMin.GetElement(3)));
    }
}
