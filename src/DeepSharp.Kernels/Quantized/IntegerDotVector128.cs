using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Portable Vector128 integer dots (ARM64 NEON, x86 without AVX2): the 8 integer lanes of
/// <see cref="IntegerDotScalar"/> as two Vector128&lt;int&gt; (lanes 0-3 from a block's first 16 values, 4-7 from
/// the next 16), two float accumulators with fused multiply-adds, the same reduction.
/// </summary>
[SkipLocalsInit]
internal static class IntegerDotVector128
{
    // Each int32 lane holds 4 consecutive bytes: extract byte c of every lane (sign- or zero-extended) and multiply.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> SignedLanes(Vector128<sbyte> w, Vector128<sbyte> x)
    {
        Vector128<int> wi = w.AsInt32(), xi = x.AsInt32();
        return Vector128.ShiftRightArithmetic(wi << 24, 24) * Vector128.ShiftRightArithmetic(xi << 24, 24)
            + Vector128.ShiftRightArithmetic(wi << 16, 24) * Vector128.ShiftRightArithmetic(xi << 16, 24)
            + Vector128.ShiftRightArithmetic(wi << 8, 24) * Vector128.ShiftRightArithmetic(xi << 8, 24)
            + Vector128.ShiftRightArithmetic(wi, 24) * Vector128.ShiftRightArithmetic(xi, 24);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> UnsignedLanes(Vector128<byte> w, Vector128<sbyte> x)
    {
        Vector128<int> wi = w.AsInt32(), xi = x.AsInt32(), low = Vector128.Create(0xFF);
        return (wi & low) * Vector128.ShiftRightArithmetic(xi << 24, 24)
            + (Vector128.ShiftRightLogical(wi, 8) & low) * Vector128.ShiftRightArithmetic(xi << 16, 24)
            + (Vector128.ShiftRightLogical(wi, 16) & low) * Vector128.ShiftRightArithmetic(xi << 8, 24)
            + Vector128.ShiftRightLogical(wi, 24) * Vector128.ShiftRightArithmetic(xi, 24);
    }

    // hsum_float_8 over (lanes 0-3, lanes 4-7).
    internal static float Reduce(Vector128<float> a, Vector128<float> b)
    {
        var s = a + b;
        return (s.GetElement(0) + s.GetElement(2)) + (s.GetElement(1) + s.GetElement(3));
    }

    private static Vector128<sbyte> X(ref sbyte q, int at) => Vector128.LoadUnsafe(ref q, (nuint)at);

    private static void Accumulate(float d, Vector128<int> l0, Vector128<int> l1, ref Vector128<float> a0, ref Vector128<float> a1)
    {
        var vd = Vector128.Create(d);
        a0 = Vector128.FusedMultiplyAdd(vd, Vector128.ConvertToSingle(l0), a0);
        a1 = Vector128.FusedMultiplyAdd(vd, Vector128.ConvertToSingle(l1), a1);
    }

    public static float Q8_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        Vector128<float> a0 = default, a1 = default;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 34);
            float d = IntegerDotAvx2.HalfAt(ref blk, 0) * x.Scales[b];
            var l0 = SignedLanes(Vector128.LoadUnsafe(ref blk, 2).AsSByte(), X(ref q, 32 * b));
            var l1 = SignedLanes(Vector128.LoadUnsafe(ref blk, 18).AsSByte(), X(ref q, 32 * b + 16));
            Accumulate(d, l0, l1, ref a0, ref a1);
        }
        return Reduce(a0, a1);
    }

    public static float Q4_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        Vector128<float> a0 = default, a1 = default;
        var m4 = Vector128.Create((byte)0x0F);
        var eight = Vector128.Create((byte)8);
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 18);
            float d = IntegerDotAvx2.HalfAt(ref blk, 0) * x.Scales[b];
            var qs = Vector128.LoadUnsafe(ref blk, 2);
            var l0 = SignedLanes(((qs & m4) - eight).AsSByte(), X(ref q, 32 * b));
            var l1 = SignedLanes((Vector128.ShiftRightLogical(qs, 4) - eight).AsSByte(), X(ref q, 32 * b + 16));
            Accumulate(d, l0, l1, ref a0, ref a1);
        }
        return Reduce(a0, a1);
    }

    // llama.cpp's repacked Q4_0 (see IntegerDotScalar.Q4_0x8): one accumulator, each block's whole integer sum.
    public static float Q4_0x8(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        var m4 = Vector128.Create((byte)0x0F);
        var eight = Vector128.Create((byte)8);
        float acc = 0;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 18);
            var qs = Vector128.LoadUnsafe(ref blk, 2);
            var l0 = SignedLanes(((qs & m4) - eight).AsSByte(), X(ref q, 32 * b));
            var l1 = SignedLanes((Vector128.ShiftRightLogical(qs, 4) - eight).AsSByte(), X(ref q, 32 * b + 16));
            acc = MathF.FusedMultiplyAdd(Vector128.Sum(l0 + l1), IntegerDotAvx2.HalfAt(ref blk, 0) * x.Scales[b], acc);
        }
        return acc;
    }

    private static readonly Vector128<byte> BitBytesLow = Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    private static readonly Vector128<byte> BitBytesHigh = Vector128.Create((byte)2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    private static readonly Vector128<byte> BitMasks = Vector128.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);

    public static float Q5_0(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        Vector128<float> a0 = default, a1 = default;
        var m4 = Vector128.Create((byte)0x0F);
        var sixteen = Vector128.Create((byte)0x10);
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 22);
            var qh = Vector128.Create(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref blk, 2))).AsByte();
            var hLo = Vector128.Equals(Vector128.Shuffle(qh, BitBytesLow) & BitMasks, BitMasks) & sixteen;
            var hHi = Vector128.Equals(Vector128.Shuffle(qh, BitBytesHigh) & BitMasks, BitMasks) & sixteen;
            var qs = Vector128.LoadUnsafe(ref blk, 6);
            var l0 = SignedLanes((((qs & m4) | hLo) - sixteen).AsSByte(), X(ref q, 32 * b));
            var l1 = SignedLanes(((Vector128.ShiftRightLogical(qs, 4) | hHi) - sixteen).AsSByte(), X(ref q, 32 * b + 16));
            Accumulate(IntegerDotAvx2.HalfAt(ref blk, 0) * x.Scales[b], l0, l1, ref a0, ref a1);
        }
        return Reduce(a0, a1);
    }

    public static float Q5_1(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        Vector128<float> a0 = default, a1 = default;
        var m4 = Vector128.Create((byte)0x0F);
        var five = Vector128.Create((byte)0x10);
        float mins = 0;
        for (int b = 0; b < x.Scales.Length; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 24);
            float dw = IntegerDotAvx2.HalfAt(ref blk, 0), m = IntegerDotAvx2.HalfAt(ref blk, 2);
            var qh = Vector128.Create(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref blk, 4))).AsByte();
            var hLo = Vector128.Equals(Vector128.Shuffle(qh, BitBytesLow) & BitMasks, BitMasks) & five;
            var hHi = Vector128.Equals(Vector128.Shuffle(qh, BitBytesHigh) & BitMasks, BitMasks) & five;
            var qs = Vector128.LoadUnsafe(ref blk, 8);
            mins = MathF.FusedMultiplyAdd(m, x.Sums[b], mins);
            var l0 = UnsignedLanes((qs & m4) | hLo, X(ref q, 32 * b));
            var l1 = UnsignedLanes(Vector128.ShiftRightLogical(qs, 4) | hHi, X(ref q, 32 * b + 16));
            Accumulate(dw * x.Scales[b], l0, l1, ref a0, ref a1);
        }
        return Reduce(a0, a1) + mins;
    }

    public static float Q4K(ReadOnlySpan<byte> row, in Int8Row x) => KQuant(row, x, 144, hasHighBit: false, perRow: false);

    public static float Q4Kx8(ReadOnlySpan<byte> row, in Int8Row x) => KQuant(row, x, 144, hasHighBit: false, perRow: true);

    public static float Q5K(ReadOnlySpan<byte> row, in Int8Row x) => KQuant(row, x, 176, hasHighBit: true, perRow: false);

    // perRow: llama.cpp's repacked-Q4_K sums (see IntegerDotScalar.Q4Kx8) instead of vec_dot's lanes.
    private static float KQuant(ReadOnlySpan<byte> row, in Int8Row x, int blockBytes, bool hasHighBit, bool perRow)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        Vector128<float> a0 = default, a1 = default, accMin = default;
        float summs = 0, rowAcc = 0, rowMin = 0;
        var m4 = Vector128.Create((byte)0x0F);
        var five = Vector128.Create((byte)0x10);
        for (int b = 0; b < x.Quants.Length / 256; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * blockBytes);
            float xd = x.Scales[b], d = xd * IntegerDotAvx2.HalfAt(ref blk, 0), dmin = -xd * IntegerDotAvx2.HalfAt(ref blk, 2);
            var (scales, mins) = KScales.Unpack(ref Unsafe.Add(ref blk, 4));
            var bs = x.BlockSums.Slice(16 * b, 16);
            var minProducts = Vector128.Create(
                mins[0] * (bs[0] + bs[1]) + mins[1] * (bs[2] + bs[3]), mins[2] * (bs[4] + bs[5]) + mins[3] * (bs[6] + bs[7]),
                mins[4] * (bs[8] + bs[9]) + mins[5] * (bs[10] + bs[11]), mins[6] * (bs[12] + bs[13]) + mins[7] * (bs[14] + bs[15]));
            if (perRow) rowMin = MathF.FusedMultiplyAdd(Vector128.Sum(minProducts), IntegerDotAvx2.HalfAt(ref blk, 2) * xd, rowMin);
            else if (hasHighBit) summs = MathF.FusedMultiplyAdd(dmin, Vector128.Sum(minProducts), summs);
            else accMin = Vector128.FusedMultiplyAdd(Vector128.Create(dmin), Vector128.ConvertToSingle(minProducts), accMin);
            ref byte qs = ref Unsafe.Add(ref blk, hasHighBit ? 48 : 16);
            var qh0 = Vector128.LoadUnsafe(ref blk, 16);
            var qh1 = Vector128.LoadUnsafe(ref blk, 32);
            int qAt = 256 * b;
            Vector128<int> l0 = default, l1 = default;
            for (int c = 0; c < 4; c++)
            {
                var bits0 = Vector128.LoadUnsafe(ref qs, (nuint)(32 * c));
                var bits1 = Vector128.LoadUnsafe(ref qs, (nuint)(32 * c + 16));
                Vector128<byte> lo0 = bits0 & m4, lo1 = bits1 & m4;
                Vector128<byte> hi0 = Vector128.ShiftRightLogical(bits0, 4), hi1 = Vector128.ShiftRightLogical(bits1, 4);
                if (hasHighBit)
                {
                    var bitLo = Vector128.Create((byte)(1 << (2 * c)));
                    var bitHi = Vector128.Create((byte)(2 << (2 * c)));
                    lo0 |= Vector128.Equals(qh0 & bitLo, bitLo) & five;
                    lo1 |= Vector128.Equals(qh1 & bitLo, bitLo) & five;
                    hi0 |= Vector128.Equals(qh0 & bitHi, bitHi) & five;
                    hi1 |= Vector128.Equals(qh1 & bitHi, bitHi) & five;
                }
                var sLo = Vector128.Create((int)scales[2 * c]);
                var sHi = Vector128.Create((int)scales[2 * c + 1]);
                int at = qAt + 64 * c;
                l0 += UnsignedLanes(lo0, X(ref q, at)) * sLo + UnsignedLanes(hi0, X(ref q, at + 32)) * sHi;
                l1 += UnsignedLanes(lo1, X(ref q, at + 16)) * sLo + UnsignedLanes(hi1, X(ref q, at + 48)) * sHi;
            }
            if (perRow) rowAcc = MathF.FusedMultiplyAdd(Vector128.Sum(l0 + l1), IntegerDotAvx2.HalfAt(ref blk, 0) * xd, rowAcc);
            else Accumulate(d, l0, l1, ref a0, ref a1);
        }
        if (perRow) return rowAcc - rowMin;
        if (hasHighBit) return Reduce(a0, a1) + summs;
        return Reduce(a0, a1) + ((accMin.GetElement(0) + accMin.GetElement(2)) + (accMin.GetElement(1) + accMin.GetElement(3)));
    }

    public static float Q6K(ReadOnlySpan<byte> row, in Int8Row x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        Vector128<float> a0 = default, a1 = default;
        var m4 = Vector128.Create((byte)0x0F);
        var m2 = Vector128.Create((byte)0x03);
        Span<int> off = stackalloc int[8];
        for (int b = 0; b < x.Quants.Length / 256; b++)
        {
            ref byte blk = ref Unsafe.Add(ref w, b * 210);
            var sc = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, sbyte>(ref Unsafe.Add(ref blk, 192)), 16);
            var bs = x.BlockSums.Slice(16 * b, 16);
            for (int k = 0; k < 8; k++) off[k] = -32 * (sc[2 * k] * bs[2 * k] + sc[2 * k + 1] * bs[2 * k + 1]);
            var l0 = Vector128.Create(off[0], off[1], off[2], off[3]);
            var l1 = Vector128.Create(off[4], off[5], off[6], off[7]);
            for (int n = 0; n < 2; n++)
                for (int half = 0; half < 2; half++)
                {
                    int o = 16 * half;
                    var ql0 = Vector128.LoadUnsafe(ref blk, (nuint)(64 * n + o));
                    var ql1 = Vector128.LoadUnsafe(ref blk, (nuint)(64 * n + 32 + o));
                    var qh = Vector128.LoadUnsafe(ref blk, (nuint)(128 + 32 * n + o));
                    var q0 = (ql0 & m4) | ((qh & m2) << 4);
                    var q1 = (ql1 & m4) | ((Vector128.ShiftRightLogical(qh, 2) & m2) << 4);
                    var q2 = Vector128.ShiftRightLogical(ql0, 4) | ((Vector128.ShiftRightLogical(qh, 4) & m2) << 4);
                    var q3 = Vector128.ShiftRightLogical(ql1, 4) | (Vector128.ShiftRightLogical(qh, 6) << 4);
                    int at = 256 * b + 128 * n + o, s = 8 * n + half;
                    var sum = UnsignedLanes(q0, X(ref q, at)) * Vector128.Create((int)sc[s])
                        + UnsignedLanes(q1, X(ref q, at + 32)) * Vector128.Create((int)sc[s + 2])
                        + UnsignedLanes(q2, X(ref q, at + 64)) * Vector128.Create((int)sc[s + 4])
                        + UnsignedLanes(q3, X(ref q, at + 96)) * Vector128.Create((int)sc[s + 6]);
                    if (half == 0) l0 += sum; else l1 += sum;
                }
            Accumulate(x.Scales[b] * IntegerDotAvx2.HalfAt(ref blk, 208), l0, l1, ref a0, ref a1);
        }
        return Reduce(a0, a1);
    }
}
