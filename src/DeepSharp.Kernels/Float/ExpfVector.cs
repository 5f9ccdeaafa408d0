using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Float;

/// <summary>
/// e^x on 8 floats (with AVX-512, or AVX2 and FMA) with the steps glibc's <c>expf</c> takes on CPUs with FMA (the
/// algorithm glibc shares with musl and Arm's optimized routines): in double, x·32/ln 2 = k + r rounded with the
/// 1.5·2^52 shift (the product fused into both the shift and r), 2^(k/32) from a 32-entry table whose exponent k/32
/// fills in, a cubic in r by fused multiply-adds, one rounding to float at the end. <see cref="MathF.Exp"/> calls the
/// platform's <c>expf</c>, as llama.cpp's attention does; here, on glibc 2.36, every float with |x| &lt; 88 gives the
/// same bits either way (checked over all 2.24·10^9 of them, both signs; leaving the product unfused changes two). Another libm, or glibc on a CPU without
/// FMA, can differ, so <see cref="IsSupported"/> also asks that both agree on probing inputs — among them values
/// where this algorithm is not correctly rounded and the one where the unfused form differs — and callers keep
/// MathF.Exp where it does not. A vector with any lane at |x| ≥ 88, infinite or NaN takes MathF.Exp lane by lane.
/// </summary>
internal static class ExpfVector
{
    private const int TableBits = 5, TableSize = 1 << TableBits;
    private const uint LargeBits = 0x42b0_0000;   // |x| from here (88 and up, infinities, NaN): the special-case path
    private static readonly double InvLn2Scaled = BitConverter.Int64BitsToDouble(0x3ff7_1547_652b_82fe) * TableSize;   // 32/ln 2
    private static readonly double Shift = BitConverter.Int64BitsToDouble(0x4338_0000_0000_0000);   // 1.5·2^52
    // The cubic's coefficients (scaled for r in units of 1/32).
    private static readonly double C0 = BitConverter.Int64BitsToDouble(0x3fac_6af8_4b91_2394) / (TableSize * TableSize * TableSize);
    private static readonly double C1 = BitConverter.Int64BitsToDouble(0x3fce_bfce_50fa_c4f3) / (TableSize * TableSize);
    private static readonly double C2 = BitConverter.Int64BitsToDouble(0x3fe6_2e42_ff0c_52d6) / TableSize;
    // Entry i: the bits of 2^(i/32) rounded to nearest, less i·2^47, so that adding k·2^47 (k's low 5 bits being i)
    // puts 2^(k/32)'s exponent in place.
    private static readonly ulong[] Table = BuildTable();

    // Inputs that tell expf implementations apart: the one where glibc's build without FMA differs from this one,
    // values where this algorithm's result is not the correctly rounded one (a correctly rounded expf differs there),
    // zeros and tiny arguments, and a 512-point sweep over (−88, 88). It runs once, at first use.
    private static readonly uint[] ProbeBits =
    [
        0xc27c65d9, 0x4202422f, 0xbb0fe0e7, 0xbe18c276, 0xbb864716, 0xbe534d6e, 0xc267c11f, 0xbbdbd71e, 0xc27f7590,
        0xbc787476, 0xbcd986a6, 0xbce488b6, 0xbced3a57, 0xbfdd2739, 0xbfed7a48, 0xc063b06e, 0xbd5def75, 0xbdbce13f,
        0xbdfdad63, 0x80000000, 0x00000000, 0x80000001, 0xb3800000, 0x33800000, 0xc2afffff, 0x42afffff,
    ];

    // The 512-bit form (8 doubles to a vector) where AVX-512 is selected; else 4 doubles at a time, the table read
    // by a gather, where AVX2 with FMA is. Fields, so that the JIT reads them as constants.
    private static readonly bool Wide = Avx512F.IsSupported && KernelIsaSelection.Current == KernelIsa.Avx512;
    private static readonly bool Narrow = Avx2.IsSupported && Fma.IsSupported && KernelIsaSelection.Current == KernelIsa.Avx2;

    /// <summary>
    /// Whether <see cref="Apply"/> runs here and gives MathF.Exp's bits (AVX-512, or AVX2 with FMA, as selected: the
    /// portable Vector128 path keeps MathF.Exp).
    /// </summary>
    public static bool IsSupported { get; } = (Wide || Narrow) && AgreesWithMathF();

    /// <summary>The 8 floats at <paramref name="x"/> ← e^x (only where <see cref="IsSupported"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Apply(ref float x)
    {
        var v = Vector256.LoadUnsafe(ref x);
        if (Vector256.GreaterThanOrEqualAny(v.AsUInt32() & Vector256.Create(0x7fff_ffffu), Vector256.Create(LargeBits)))
        {
            ApplyScalar(ref x);
            return;
        }
        Exp(v).StoreUnsafe(ref x);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ApplyScalar(ref float x)
    {
        for (int i = 0; i < 8; i++) Unsafe.Add(ref x, i) = MathF.Exp(Unsafe.Add(ref x, i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Exp(Vector256<float> x) =>
        Wide ? Exp512(x) : Vector256.Create(Exp256(x.GetLower()), Exp256(x.GetUpper()));

    // The same steps on 4 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector128<float> Exp256(Vector128<float> x)
    {
        var xd = Avx.ConvertToVector256Double(x);
        var scale = Vector256.Create(InvLn2Scaled);
        var shifted = Vector256.FusedMultiplyAdd(xd, scale, Vector256.Create(Shift));
        var k = shifted.AsUInt64();
        var kd = shifted - Vector256.Create(Shift);
        var r = Vector256.FusedMultiplyAdd(xd, scale, -kd);
        // Each lane's table index (k's low 5 bits) from the low half of its 64-bit lane.
        var index = Avx2.PermuteVar8x32(k.AsInt32(), Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6)).GetLower() & Vector128.Create(TableSize - 1);
        Vector256<ulong> entry;
        fixed (ulong* table = Table) entry = Avx2.GatherVector256(table, index, 8);
        var s = (entry + (k << (52 - TableBits))).AsDouble();
        var z = Vector256.FusedMultiplyAdd(Vector256.Create(C0), r, Vector256.Create(C1));
        var y = Vector256.FusedMultiplyAdd(Vector256.Create(C2), r, Vector256<double>.One);
        y = Vector256.FusedMultiplyAdd(z, r * r, y);
        return Avx.ConvertToVector128Single(y * s);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Exp512(Vector256<float> x)
    {
        var xd = Avx512F.ConvertToVector512Double(x);
        var scale = Vector512.Create(InvLn2Scaled);
        var shifted = Vector512.FusedMultiplyAdd(xd, scale, Vector512.Create(Shift));
        var k = shifted.AsUInt64();            // k in the low bits
        var kd = shifted - Vector512.Create(Shift);
        var r = Vector512.FusedMultiplyAdd(xd, scale, -kd);
        var s = (TableEntry(k & Vector512.Create((ulong)(TableSize - 1))) + (k << (52 - TableBits))).AsDouble();
        var z = Vector512.FusedMultiplyAdd(Vector512.Create(C0), r, Vector512.Create(C1));
        var y = Vector512.FusedMultiplyAdd(Vector512.Create(C2), r, Vector512<double>.One);
        y = Vector512.FusedMultiplyAdd(z, r * r, y);
        return Avx512F.ConvertToVector256Single(y * s);
    }

    // Table[i] for each lane's i < 32: two 16-entry permutes, the upper one where i ≥ 16.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> TableEntry(Vector512<ulong> i)
    {
        ref ulong t = ref Table[0];
        var low = Avx512F.PermuteVar8x64x2(Vector512.LoadUnsafe(ref t).AsInt64(), i.AsInt64(), Vector512.LoadUnsafe(ref t, 8).AsInt64());
        var high = Avx512F.PermuteVar8x64x2(Vector512.LoadUnsafe(ref t, 16).AsInt64(), i.AsInt64(), Vector512.LoadUnsafe(ref t, 24).AsInt64());
        return Vector512.ConditionalSelect(Vector512.GreaterThan(i, Vector512.Create(15ul)), high.AsUInt64(), low.AsUInt64());
    }

    // 2^(i/32) rounded to nearest, checked in exact integer arithmetic (the platform's Math.Pow gives the candidate;
    // nothing depends on its last bit): the 53-bit significand m is the integer with (2m − 1)^32 ≤ 2^(32·53 + i) <
    // (2m + 1)^32, and a candidate off by one moves towards it.
    private static ulong[] BuildTable()
    {
        var table = new ulong[TableSize];
        for (int i = 0; i < TableSize; i++)
        {
            var target = BigInteger.One << (32 * 53 + i);
            ulong m = ((ulong)BitConverter.DoubleToInt64Bits(Math.Pow(2, i / (double)TableSize)) & ((1ul << 52) - 1)) | (1ul << 52);
            while (BigInteger.Pow(2 * (BigInteger)m - 1, TableSize) > target) m--;
            while (BigInteger.Pow(2 * (BigInteger)m + 1, TableSize) <= target) m++;
            ulong bits = (0x3ffUL << 52) | (m - (1ul << 52));
            table[i] = bits - ((ulong)i << (52 - TableBits));
        }
        return table;
    }

    private static bool AgreesWithMathF()
    {
        var probes = new List<float>();
        foreach (uint bits in ProbeBits) probes.Add(BitConverter.UInt32BitsToSingle(bits));
        for (int i = 0; i < 512; i++) probes.Add(-87.99f + 175.98f * i / 511f + i * 1e-6f);
        while (probes.Count % 8 != 0) probes.Add(-1f);
        var values = probes.ToArray();
        for (int i = 0; i < values.Length; i += 8)
        {
            var y = Exp(Vector256.Create(values.AsSpan(i, 8)));
            for (int j = 0; j < 8; j++)
                if (BitConverter.SingleToUInt32Bits(y[j]) != BitConverter.SingleToUInt32Bits(MathF.Exp(values[i + j]))) return false;
        }
        return true;
    }
}
