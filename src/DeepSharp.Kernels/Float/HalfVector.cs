using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Float;

/// <summary>
/// f16 ↔ f32 on 8 lanes, or 16 with AVX-512, with integer and float operations (.NET exposes no F16C conversion):
/// exact for every f16 value, and rounding to f16 as the framework's <c>(float)(Half)x</c> does (nearest, ties to
/// even, f16 subnormals, overflow to infinity, NaN kept quiet). The tests hold both to the scalar framework
/// conversions over every f16 value, over every float in the normal f16 range (the rounding's fast path), and over
/// random, boundary and special floats.
/// </summary>
public static class HalfVector
{
    private const uint SignMask = 0x8000_0000;
    private const uint MinNormalBits = 0x3880_0000, MaxNormalBits = 0x477f_e000;   // 2^-14 and 65504 as float bits
    private const float SplitFactor = 8193f;   // 2^13 + 1: splits off the 13 mantissa bits a float has beyond an f16's

    // Whether the attention updates take 16 lanes at a time (the AVX-512 path selected).
    private static bool Wide => Vector512.IsHardwareAccelerated && Kernels.KernelIsaSelection.Current == Kernels.KernelIsa.Avx512;

    /// <summary>8 f16 values (bits) → floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector128<ushort> bits)
    {
        var h = Vector256.WidenLower(bits.ToVector256Unsafe()).AsUInt32();
        var magnitude = (h & Vector256.Create(0x7fffu)) << 13;
        var sign = (h & Vector256.Create(0x8000u)) << 16;
        // Finite values and subnormals: the f16 exponent and mantissa placed in a float and scaled by 2^112 (exact).
        var finite = (magnitude.AsSingle() * Vector256.Create(BitConverter.UInt32BitsToSingle(0x7780_0000))).AsUInt32();
        // Exponent all ones: infinity, or NaN made quiet as the framework does.
        var special = magnitude | Vector256.Create(0x7f80_0000u)
            | (Vector256.GreaterThan(magnitude, Vector256.Create(0x0f80_0000u)) & Vector256.Create(0x0040_0000u));
        var isSpecial = Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(0x0f80_0000u));
        return (Vector256.ConditionalSelect(isSpecial, special, finite) | sign).AsSingle();
    }

    /// <summary>
    /// 8 finite f16 values (bits) → floats, in three operations after the widening instead of <see cref="ToSingle"/>'s
    /// ten: each sign-extended to 32 bits and shifted so that its exponent and mantissa sit in a float's (the sign's
    /// copies in bits 28–30 cleared, its own now bit 31), then scaled by 2^112 — exact for every finite f16, subnormals
    /// and zeros included. Infinity and NaN come out as wrong finite numbers: callers keep them out (the packed Q4_0
    /// weights, whose row scales the decode loop widens every block).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingleFinite(Vector128<short> bits) => PlaceFinite(Vector256.WidenLower(bits.ToVector256Unsafe()));

    /// <summary>As <see cref="ToSingleFinite(Vector128{short})"/> for the 8 f16 values at <paramref name="p"/> (one widening load with AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<float> ToSingleFinite(short* p) =>
        Avx2.IsSupported ? PlaceFinite(Avx2.ConvertToVector256Int32(p)) : ToSingleFinite(Vector128.Load(p));

    // Sign-extended f16 bits → the float they hold (finite values only, see ToSingleFinite).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> PlaceFinite(Vector256<int> widened)
    {
        var placed = (widened << 13) & Vector256.Create(unchecked((int)0x8fff_ffff));
        return placed.AsSingle() * Vector256.Create(BitConverter.UInt32BitsToSingle(0x7780_0000));
    }

    /// <summary>8 f16 values at <paramref name="p"/> → floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref Half p, nuint at) =>
        ToSingle(Vector128.LoadUnsafe(ref Unsafe.As<Half, ushort>(ref p), at));

    /// <summary>Each lane rounded to the nearest f16 value, as a float: <c>(float)(Half)x</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var a = bits & Vector256.Create(~SignMask);
        // Every lane between the smallest normal f16 (2^-14) and the largest (65504): nothing else to decide.
        if (Vector256.LessThanOrEqualAll(a - Vector256.Create(MinNormalBits), Vector256.Create(MaxNormalBits - MinNormalBits)))
            return NearestNormal(x);
        return RoundAnyRange(x);
    }

    // Normal f16 range: drop 13 mantissa bits, nearest with ties to even (a carry moves into the exponent).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> DropLowBits(Vector256<uint> a) =>
        (a + Vector256.Create(0xfffu) + ((a >> 13) & Vector256<uint>.One)) & Vector256.Create(~0x1fffu);

    /// <summary>
    /// x rounded to f16 as <see cref="Round(Vector256{float})"/> rounds lanes in the normal f16 range, and
    /// <paramref name="worst"/> ← the unsigned maximum of itself and each lane's |x| bits less 2^-14's: afterwards
    /// <see cref="AllNormal(Vector256{uint})"/> of it says whether every lane rounded so was in that range (else the
    /// caller redoes the work with Round). No branch per vector, so loops can keep their accumulators in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundNormal(Vector256<float> x, ref Vector256<uint> worst)
    {
        var bits = x.AsUInt32();
        var a = bits & Vector256.Create(~SignMask);
        worst = Vector256.Max(worst, a - Vector256.Create(MinNormalBits));
        return NearestNormal(x);
    }

    /// <summary>As <see cref="RoundNormal(Vector256{float}, ref Vector256{uint})"/> on 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> RoundNormal(Vector512<float> x, ref Vector512<uint> worst)
    {
        var bits = x.AsUInt32();
        var a = bits & Vector512.Create(~SignMask);
        worst = Vector512.Max(worst, a - Vector512.Create(MinNormalBits));
        return NearestNormal(x);
    }

    // Veltkamp's split with 2^13 + 1: c − (c − x) keeps x's top 11 significant bits, rounded to nearest. For every float
    // whose magnitude is in the normal f16 range these are exactly DropLowBits' bits, ties to even included (checked
    // over all of them, both signs; the tests do it too) — in three float operations, the sign carried along, instead
    // of seven integer ones. Each operation must round on its own: the JIT does not contract them into a fused one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> NearestNormal(Vector256<float> x)
    {
        var c = x * Vector256.Create(SplitFactor);
        return c - (c - x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> NearestNormal(Vector512<float> x)
    {
        var c = x * Vector512.Create(SplitFactor);
        return c - (c - x);
    }

    /// <summary>Whether every lane that <paramref name="worst"/> saw was in the normal f16 range (see RoundNormal).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllNormal(Vector256<uint> worst) => Vector256.LessThanOrEqualAll(worst, Vector256.Create(MaxNormalBits - MinNormalBits));

    /// <summary>As <see cref="AllNormal(Vector256{uint})"/> for 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllNormal(Vector512<uint> worst) => Vector512.LessThanOrEqualAll(worst, Vector512.Create(MaxNormalBits - MinNormalBits));

    // Round for lanes outside the normal f16 range too. Kept out of line: inlined, its size made the JIT stop inlining
    // the callers' fast path (a call per vector, its arguments through the stack).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<float> RoundAnyRange(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var sign = bits & Vector256.Create(SignMask);
        var a = bits & Vector256.Create(~SignMask);
        var normal = DropLowBits(a);
        normal = Vector256.ConditionalSelect(Vector256.GreaterThan(normal, Vector256.Create(MaxNormalBits)), Vector256.Create(0x7f80_0000u), normal);
        // Below 2^-14 the f16 step is 2^-24: round the multiple of 2^-24 (exact scalings by powers of two).
        var tiny = (Vector256.Round(a.AsSingle() * Vector256.Create(16777216f)) * Vector256.Create(BitConverter.UInt32BitsToSingle(0x3380_0000))).AsUInt32();
        var rounded = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(MinNormalBits)), tiny, normal);
        // NaN: the framework keeps the top 10 mantissa bits and sets the quiet bit.
        var nan = (a & Vector256.Create(0xffff_e000u)) | Vector256.Create(0x0040_0000u);
        rounded = Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256.Create(0x7f80_0000u)), nan, rounded);
        return (rounded | sign).AsSingle();
    }

    /// <summary>acc [n] ← f16(fma(src[i], w, acc[i])) (llama.cpp's f16 flash-attention V accumulator).</summary>
    public static void FusedAxpyRounded(ReadOnlySpan<Half> src, float w, Span<float> acc)
    {
        System.Diagnostics.Debug.Assert(src.Length == acc.Length);
        // Widening is exact, so the float-source form below gives the same bits; rows are head-sized.
        Span<float> wide = src.Length <= 1024 ? stackalloc float[src.Length] : new float[src.Length];
        Widen(src, wide);
        FusedAxpyRounded(wide, w, acc);
    }

    /// <summary>Round on 16 lanes: the normal-range rounding when every lane is normal, else the 8-lane path twice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> x)
    {
        var a = x.AsUInt32() & Vector512.Create(~SignMask);
        if (Vector512.LessThanOrEqualAll(a - Vector512.Create(MinNormalBits), Vector512.Create(MaxNormalBits - MinNormalBits)))
            return NearestNormal(x);
        return RoundAnyRange(x);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector512<float> RoundAnyRange(Vector512<float> x) => Vector512.Create(RoundAnyRange(x.GetLower()), RoundAnyRange(x.GetUpper()));

    /// <summary>acc [n] ← f16(fma(src[i], w, acc[i])) for src already widened from f16 (the same values and steps).</summary>
    public static void FusedAxpyRounded(ReadOnlySpan<float> src, float w, Span<float> acc)
    {
        System.Diagnostics.Debug.Assert(src.Length == acc.Length);
        ref float ps = ref MemoryMarshal.GetReference(src);
        ref float pa = ref MemoryMarshal.GetReference(acc);
        int i = 0;
        if (Wide)
        {
            var vw = Vector512.Create(w);
            for (; i <= acc.Length - 16; i += 16)
                Round(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ps, (nuint)i), vw, Vector512.LoadUnsafe(ref pa, (nuint)i)))
                    .StoreUnsafe(ref pa, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w);
            for (; i <= acc.Length - 8; i += 8)
                Round(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref ps, (nuint)i), vw, Vector256.LoadUnsafe(ref pa, (nuint)i)))
                    .StoreUnsafe(ref pa, (nuint)i);
        }
        for (; i < acc.Length; i++) Unsafe.Add(ref pa, i) = (float)(Half)MathF.FusedMultiplyAdd(Unsafe.Add(ref ps, i), w, Unsafe.Add(ref pa, i));
    }

    /// <summary>
    /// Row r of <paramref name="acc"/> (rows src.Length apart, one per weight) ← <see cref="FusedAxpyRounded(ReadOnlySpan{float}, float, Span{float})"/>
    /// of src and w[r]: the same steps on every lane, with each 16 source lanes loaded once for all rows and one call
    /// for all of them (decode attention: a KV group's heads share each value row; at 2048 cached positions this took
    /// 5–6% off the 0.5B's attention against a call per head, alternated in one process).
    /// </summary>
    public static void FusedAxpyRoundedRows(ReadOnlySpan<float> src, ReadOnlySpan<float> w, Span<float> acc)
    {
        int n = src.Length, rows = w.Length;
        ArgumentOutOfRangeException.ThrowIfNotEqual(acc.Length, n * rows);
        ref float ps = ref MemoryMarshal.GetReference(src);
        ref float pw = ref MemoryMarshal.GetReference(w);
        ref float pa = ref MemoryMarshal.GetReference(acc);
        int i = 0;
        if (Wide)
            for (; i <= n - 16; i += 16)
            {
                var s = Vector512.LoadUnsafe(ref ps, (nuint)i);
                for (int r = 0; r < rows; r++)
                {
                    ref float a = ref Unsafe.Add(ref pa, r * n + i);
                    Round(Vector512.FusedMultiplyAdd(s, Vector512.Create(Unsafe.Add(ref pw, r)), Vector512.LoadUnsafe(ref a))).StoreUnsafe(ref a);
                }
            }
        if (i < n)
            for (int r = 0; r < rows; r++) FusedAxpyRounded(src[i..], w[r], acc.Slice(r * n + i, n - i));
    }

    /// <summary>x [n] ← f16(x[i] · s) (the flash-attention accumulator rescaled when the running maximum moves).</summary>
    public static void ScaleRounded(Span<float> x, float s)
    {
        ref float p = ref MemoryMarshal.GetReference(x);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= x.Length - 8; i += 8)
                Round(Vector256.LoadUnsafe(ref p, (nuint)i) * Vector256.Create(s)).StoreUnsafe(ref p, (nuint)i);
        for (; i < x.Length; i++) Unsafe.Add(ref p, i) = (float)(Half)(Unsafe.Add(ref p, i) * s);
    }

    /// <summary>dst [n] ← f16(src[i]) as floats.</summary>
    public static void RoundAll(ReadOnlySpan<float> src, Span<float> dst)
    {
        System.Diagnostics.Debug.Assert(src.Length == dst.Length);
        ref float ps = ref MemoryMarshal.GetReference(src);
        ref float pd = ref MemoryMarshal.GetReference(dst);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= src.Length - 8; i += 8)
                Round(Vector256.LoadUnsafe(ref ps, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
        for (; i < src.Length; i++) Unsafe.Add(ref pd, i) = (float)(Half)Unsafe.Add(ref ps, i);
    }

    /// <summary>dst [n] ← src f16 values as floats.</summary>
    public static void Widen(ReadOnlySpan<Half> src, Span<float> dst)
    {
        System.Diagnostics.Debug.Assert(src.Length == dst.Length);
        ref Half ps = ref MemoryMarshal.GetReference(src);
        ref float pd = ref MemoryMarshal.GetReference(dst);
        int i = 0;
        if (Wide)
            for (; i <= src.Length - 16; i += 16) Load16(ref ps, (nuint)i).StoreUnsafe(ref pd, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= src.Length - 8; i += 8) Load(ref ps, (nuint)i).StoreUnsafe(ref pd, (nuint)i);
        for (; i < src.Length; i++) Unsafe.Add(ref pd, i) = HalfTable.ToFloat(BitConverter.HalfToUInt16Bits(Unsafe.Add(ref ps, i)));
    }

    /// <summary>
    /// dst [r·len + i] ← src [r·srcStride + i] as floats, for <paramref name="rows"/> rows of <paramref name="len"/>
    /// values: a block of cached rows in one loop (16 lanes at a time with AVX-512 where len is a multiple of 16, else
    /// row by row). Decode attention reads 16 rows of 64 or 128 values per block; a <see cref="Widen"/> call per row
    /// made the whole attention 9–21% slower (kbench, 2048 positions).
    /// </summary>
    public static void WidenRows(ReadOnlySpan<Half> src, int srcStride, int rows, int len, Span<float> dst)
    {
        if (!Wide || len % 16 != 0)
        {
            for (int r = 0; r < rows; r++) Widen(src.Slice(r * srcStride, len), dst.Slice(r * len, len));
            return;
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(src.Length, rows == 0 ? 0 : (rows - 1) * srcStride + len);
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, rows * len);
        ref Half ps = ref MemoryMarshal.GetReference(src);
        ref float pd = ref MemoryMarshal.GetReference(dst);
        for (int r = 0; r < rows; r++)
        {
            ref Half row = ref Unsafe.Add(ref ps, r * srcStride);
            ref float to = ref Unsafe.Add(ref pd, r * len);
            for (int i = 0; i < len; i += 16) Load16(ref row, (nuint)i).StoreUnsafe(ref to, (nuint)i);
        }
    }

    // 16 f16 values → floats: where none is infinite or NaN (exponent all ones), sign-extended, shifted into place and
    // scaled as ToSingleFinite does (four operations for 16 lanes); else ToSingle on each half.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load16(ref Half p, nuint at)
    {
        var bits = Vector256.LoadUnsafe(ref Unsafe.As<Half, short>(ref p), at);
        var exponent = Vector256.Create((short)0x7c00);
        if (Vector256.EqualsAny(bits & exponent, exponent))
            return Vector512.Create(ToSingle(bits.GetLower().AsUInt16()), ToSingle(bits.GetUpper().AsUInt16()));
        var placed = (Avx512F.ConvertToVector512Int32(bits) << 13) & Vector512.Create(unchecked((int)0x8fff_ffff));
        return placed.AsSingle() * Vector512.Create(BitConverter.UInt32BitsToSingle(0x7780_0000));
    }
}
