using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// AVX2 + FMA integer dots: the 8 integer lanes of <see cref="IntegerDotScalar"/> in one Vector256&lt;int&gt;
/// (maddubs + madd, or AVX-VNNI's dpbusd), one fused multiply-add per block into 8 float lanes, the same reduction.
/// </summary>
[SkipLocalsInit]
internal static class IntegerDotAvx2
{
    internal static float HalfAt(ref byte p, int at) => Float.HalfTable.At(ref Unsafe.Add(ref p, at));

    // hsum_float_8 on a vector: [l0+l4, l1+l5, l2+l6, l3+l7] then (s0 + s2) + (s1 + s3).
    internal static float Reduce(Vector256<float> acc)
    {
        var s = acc.GetLower() + acc.GetUpper();
        return (s.GetElement(0) + s.GetElement(2)) + (s.GetElement(1) + s.GetElement(3));
    }

    /// <summary>[Reduce(a), Reduce(b), Reduce(c), Reduce(d)]: the same additions, lane by lane, in a few shuffles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Reduce4(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        Vector128<float> sa = a.GetLower() + a.GetUpper(), sb = b.GetLower() + b.GetUpper();
        Vector128<float> sc = c.GetLower() + c.GetUpper(), sd = d.GetLower() + d.GetUpper();
        var ab = Sse.UnpackLow(sa, sb) + Sse.UnpackHigh(sa, sb);   // [a0+a2, b0+b2, a1+a3, b1+b3]
        var cd = Sse.UnpackLow(sc, sd) + Sse.UnpackHigh(sc, sd);   // [c0+c2, d0+d2, c1+c3, d1+d3]
        return Sse.MoveLowToHigh(ab, cd) + Sse.MoveHighToLow(cd, ab);
    }

    // Lane k = Σ_{j=4k..4k+3} w[j]·x[j], w unsigned (≤ 128), x in [−127, 127]: exact in int32.
    internal static Vector256<int> UnsignedLanes(Vector256<byte> w, Vector256<sbyte> x) => AvxVnni.IsSupported
        ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, w, x)
        : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w, x), Vector256<short>.One);

    // The same for signed w: |w| · (x with w's sign).
    internal static Vector256<int> SignedLanes(Vector256<sbyte> w, Vector256<sbyte> x) =>
        UnsignedLanes(Avx2.Abs(w), Avx2.Sign(x, w));

    // 32 nibbles → bytes: low nibbles of the 16 bytes first, then the high nibbles (ggml's bytes_from_nibbles_32).
    internal static Vector256<byte> Nibbles32(ref byte qs)
    {
        var q = Vector128.LoadUnsafe(ref qs);
        return Vector256.Create(q, Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte()) & Vector256.Create((byte)0x0F);
    }

    public static float Q8_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref float xd = ref MemoryMarshal.GetReference(x.Scales);
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 34);
            float d = HalfAt(ref blk, 0) * Unsafe.Add(ref xd, b);
            var lanes = SignedLanes(Vector256.LoadUnsafe(ref Unsafe.Add(ref blk, 2)).AsSByte(), Vector256.LoadUnsafe(ref q, (nuint)(b * 32)));
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);
        }
        return Reduce(acc);
    }

    public static float Q4_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref float xd = ref MemoryMarshal.GetReference(x.Scales);
        var acc = Vector256<float>.Zero;
        var eight = Vector256.Create((byte)8);
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 18);
            float d = HalfAt(ref blk, 0) * Unsafe.Add(ref xd, b);
            var wq = (Nibbles32(ref Unsafe.Add(ref blk, 2)) - eight).AsSByte();
            var lanes = SignedLanes(wq, Vector256.LoadUnsafe(ref q, (nuint)(b * 32)));
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);
        }
        return Reduce(acc);
    }

    // llama.cpp's repacked Q4_0 (see IntegerDotScalar.Q4_0x8): one accumulator, each block's whole integer sum.
    public static float Q4_0x8(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        var eight = Vector256.Create((byte)8);
        float acc = 0;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 18);
            var wq = (Nibbles32(ref Unsafe.Add(ref blk, 2)) - eight).AsSByte();
            int sum = Vector256.Sum(SignedLanes(wq, Vector256.LoadUnsafe(ref q, (nuint)(b * 32))));
            acc = MathF.FusedMultiplyAdd(sum, HalfAt(ref blk, 0) * x.Scales[b], acc);
        }
        return acc;
    }

    private static readonly Vector256<byte> BitBytes = Vector256.Create(
        (byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    private static readonly Vector256<byte> BitMasks = Vector256.Create(
        (byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);

    // A Q5_0 block's 32 values as signed bytes (q − 16): the low nibbles | each bit of qh << 4 (ggml's bytes_from_bits_32).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Q5_0Values(ref byte blk)
    {
        var sixteen = Vector256.Create((byte)0x10);
        var qh = Avx2.Shuffle(Vector256.Create(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref blk, 2))).AsByte(), BitBytes);
        var high = Vector256.Equals(qh & BitMasks, BitMasks) & sixteen;
        return (Nibbles32(ref Unsafe.Add(ref blk, 6)) | high) - sixteen;
    }

    // Whether Q5_0Biased may take AVX-512 VBMI's multishift: the CPU has it and no narrower path is forced.
    internal static readonly bool FifthBitsByMultiShift = Avx512Vbmi.VL.IsSupported && KernelIsaSelection.Current >= KernelIsa.Avx512;

    // Byte i of a value-block takes bits (i − 4) .. (i + 3), rotating within its qword, of qh doubled in that qword:
    // qh's bit i lands at bit 4 (for i < 4 through the rotation, from the upper copy's wrap into the lower).
    internal static readonly Vector256<byte> FifthBitShifts = Vector256.Create(
        (byte)60, 61, 62, 63, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27);

    /// <summary>
    /// A Q5_0 block's 32 values + 128 as unsigned bytes (the form AVX-VNNI's unsigned·signed dpbusd takes, see
    /// <see cref="TilesQ8_0"/>): (q − 16) + 128 = (low nibble | fifth bit · 16) + 112. <paramref name="blk"/> is laid
    /// out as a file block (qh 2 bytes in, qs 6). With AVX-512 VBMI one multishift puts every value's fifth bit in place
    /// and one ternary-logic step joins it to the nibbles, instead of a shuffle, a compare, two masks and an or — the
    /// packed Q5_0 one-token kernel computed below the stream (49% of a plain read of its bytes at 1 thread).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> Q5_0Biased(ref byte blk)
    {
        if (!FifthBitsByMultiShift) return Q5_0Values(ref blk) ^ Vector256.Create((byte)0x80);
        var doubled = Vector256.Create(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref blk, 2))).AsUInt64();
        var fifth = Avx512Vbmi.VL.MultiShift(FifthBitShifts, doubled);
        // 0xF8: A | (B & C) — the nibbles, and bit 4 of the multishift's bytes.
        var values = Avx512F.VL.TernaryLogic(Nibbles32(ref Unsafe.Add(ref blk, 6)), fifth, Vector256.Create((byte)0x10), 0xF8);
        return values + Vector256.Create((byte)112);
    }

    // Q5_0: the 5-bit values unpacked to signed bytes (q − 16), then summed exactly as Q8_0.
    public static float Q5_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref float xd = ref MemoryMarshal.GetReference(x.Scales);
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 22);
            float d = HalfAt(ref blk, 0) * Unsafe.Add(ref xd, b);
            var lanes = SignedLanes(Q5_0Values(ref blk).AsSByte(), Vector256.LoadUnsafe(ref q, (nuint)(b * 32)));
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);
        }
        return Reduce(acc);
    }

    public static float Q5_1(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref float xd = ref MemoryMarshal.GetReference(x.Scales);
        ref float xs = ref MemoryMarshal.GetReference(x.Sums);
        var acc = Vector256<float>.Zero;
        float mins = 0;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 24);
            float dw = HalfAt(ref blk, 0), m = HalfAt(ref blk, 2);
            var qh = Avx2.Shuffle(Vector256.Create(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref blk, 4))).AsByte(), BitBytes);
            var high = Vector256.Equals(qh & BitMasks, BitMasks) & Vector256.Create((byte)0x10);
            var wq = Nibbles32(ref Unsafe.Add(ref blk, 8)) | high;
            mins = MathF.FusedMultiplyAdd(m, Unsafe.Add(ref xs, b), mins);
            var lanes = UnsignedLanes(wq, Vector256.LoadUnsafe(ref q, (nuint)(b * 32)));
            acc = Fma.MultiplyAdd(Vector256.Create(dw * Unsafe.Add(ref xd, b)), Avx.ConvertToVector256Single(lanes), acc);
        }
        return Reduce(acc) + mins;
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
        for (int b = 0; b < x.Quants.Length / 256; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * blockBytes);
            float xd = x.Scales[b], d = xd * HalfAt(ref blk, 0), dmin = -xd * HalfAt(ref blk, 2);
            var (scales, mins) = KScales.Unpack(ref Unsafe.Add(ref blk, 4));
            var minProducts = MinProducts(mins, ref Unsafe.Add(ref bsums, b * 16));
            if (perRow) rowMin = MathF.FusedMultiplyAdd(Vector128.Sum(minProducts), IntegerDotAvx2.HalfAt(ref blk, 2) * xd, rowMin);
            else if (hasHighBit) summs = MathF.FusedMultiplyAdd(dmin, Vector128.Sum(minProducts), summs);
            else accMin = Fma.MultiplyAdd(Vector128.Create(dmin), Sse2.ConvertToVector128Single(minProducts), accMin);
            ref byte qs = ref Unsafe.Add(ref blk, hasHighBit ? 48 : 16);
            var qh = Vector256.LoadUnsafe(ref Unsafe.Add(ref blk, 16));
            ref sbyte q8 = ref Unsafe.Add(ref q, b * 256);
            var sumi = Vector256<int>.Zero;
            for (int c = 0; c < 4; c++)
            {
                var bits = Vector256.LoadUnsafe(ref qs, (nuint)(32 * c));
                var lo = bits & m4;
                var hi = Shr(bits, 4) & m4;
                if (hasHighBit)
                {
                    var bitLo = Vector256.Create((byte)(1 << (2 * c)));
                    var bitHi = Vector256.Create((byte)(2 << (2 * c)));
                    lo |= Vector256.Equals(qh & bitLo, bitLo) & Vector256.Create((byte)0x10);
                    hi |= Vector256.Equals(qh & bitHi, bitHi) & Vector256.Create((byte)0x10);
                }
                var pLo = Avx2.MultiplyAddAdjacent(lo, Vector256.LoadUnsafe(ref q8, (nuint)(64 * c)));
                var pHi = Avx2.MultiplyAddAdjacent(hi, Vector256.LoadUnsafe(ref q8, (nuint)(64 * c + 32)));
                sumi += Avx2.MultiplyAddAdjacent(pLo, Vector256.Create((short)scales.GetElement(2 * c)))
                    + Avx2.MultiplyAddAdjacent(pHi, Vector256.Create((short)scales.GetElement(2 * c + 1)));
            }
            if (perRow) rowAcc = MathF.FusedMultiplyAdd(Vector256.Sum(sumi), HalfAt(ref blk, 0) * xd, rowAcc);
            else acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        if (perRow) return rowAcc - rowMin;
        if (hasHighBit) return Reduce(acc) + summs;
        return Reduce(acc) + ((accMin.GetElement(0) + accMin.GetElement(2)) + (accMin.GetElement(1) + accMin.GetElement(3)));
    }

    // Lane i = m[2i]·(bs[4i] + bs[4i+1]) + m[2i+1]·(bs[4i+2] + bs[4i+3]): the mins against 32-value activation sums.
    private static Vector128<int> MinProducts(Vector128<short> mins, ref short bsums)
    {
        var sums32 = Ssse3.HorizontalAdd(Vector128.LoadUnsafe(ref bsums), Vector128.LoadUnsafe(ref bsums, 8));
        return Sse2.MultiplyAddAdjacent(mins, sums32);
    }

    public static float Q6K(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref short bsums = ref MemoryMarshal.GetReference(x.BlockSums);
        var acc = Vector256<float>.Zero;
        var m4 = Vector256.Create((byte)0x0F);
        var m2 = Vector256.Create((byte)0x03);
        for (int b = 0; b < x.Quants.Length / 256; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 210);
            var sc8 = Vector128.LoadUnsafe(ref Unsafe.Add(ref blk, 192)).AsSByte();
            var sc16 = Avx2.ConvertToVector256Int16(sc8);
            var offset = Avx2.MultiplyAddAdjacent(sc16, Vector256.LoadUnsafe(ref bsums, (nuint)(b * 16)));
            var lanes = Vector256<int>.Zero - Avx2.ShiftLeftLogical(offset, 5);
            ref sbyte q8 = ref Unsafe.Add(ref q, b * 256);
            for (int n = 0; n < 2; n++)
            {
                var ql0 = Vector256.LoadUnsafe(ref blk, (nuint)(64 * n));
                var ql1 = Vector256.LoadUnsafe(ref blk, (nuint)(64 * n + 32));
                var qh = Vector256.LoadUnsafe(ref blk, (nuint)(128 + 32 * n));
                var q0 = (ql0 & m4) | Shl4(qh & m2);
                var q1 = (ql1 & m4) | Shl4(Shr(qh, 2) & m2);
                var q2 = (Shr(ql0, 4) & m4) | Shl4(Shr(qh, 4) & m2);
                var q3 = (Shr(ql1, 4) & m4) | Shl4(Shr(qh, 6) & m2);
                int s = 8 * n;
                lanes += ScaledLanes(q0, ref q8, 128 * n, sc8, s);
                lanes += ScaledLanes(q1, ref q8, 128 * n + 32, sc8, s + 2);
                lanes += ScaledLanes(q2, ref q8, 128 * n + 64, sc8, s + 4);
                lanes += ScaledLanes(q3, ref q8, 128 * n + 96, sc8, s + 6);
            }
            float d = x.Scales[b] * HalfAt(ref blk, 208);
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(lanes), acc);
        }
        return Reduce(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Shr(Vector256<byte> v, [System.Diagnostics.CodeAnalysis.ConstantExpected] byte n) => Avx2.ShiftRightLogical(v.AsUInt16(), n).AsByte();

    // Bytes ≤ 15 only: the 16-bit shift cannot carry into the next byte.
    private static Vector256<byte> Shl4(Vector256<byte> v) => Avx2.ShiftLeftLogical(v.AsUInt16(), 4).AsByte();

    // 32 unsigned 6-bit values · 32 activations; lanes 0-3 scaled by sc[s], lanes 4-7 by sc[s+1] (16-value sub-blocks).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ScaledLanes(Vector256<byte> w, ref sbyte q8, int at, Vector128<sbyte> sc, int s)
    {
        var pairs = Avx2.MultiplyAddAdjacent(w, Vector256.LoadUnsafe(ref q8, (nuint)at));
        var scale = Vector256.Create(Vector128.Create((short)sc.GetElement(s)), Vector128.Create((short)sc.GetElement(s + 1)));
        return Avx2.MultiplyAddAdjacent(pairs, scale);
    }
}
