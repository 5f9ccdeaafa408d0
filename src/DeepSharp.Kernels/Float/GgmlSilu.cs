using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSharp.Kernels.Float;

/// <summary>
/// SiLU as llama.cpp's AVX-512 CPU build computes it in ggml_vec_swiglu_f32: whole groups of 16 use ggml's
/// vector exp (a degree-5 polynomial after a round-to-nearest range reduction, all steps fused multiply-adds),
/// the rest of a row uses the C library's expf. Following it exactly keeps activations that are quantized next
/// bit-identical, so greedy continuations cannot drift apart on a near-tie.
/// </summary>
internal static class GgmlSilu
{
    public const int VectorWidth = 16;

    private static readonly float Shifter = 12582912f;                      // 1.5·2^23: adding it rounds to an integer
    private static readonly float Log2E = HexFloat(0x1715476, -24);
    private static readonly float Ln2Hi = HexFloat(0x162e4, -17);
    private static readonly float Ln2Lo = HexFloat(0x17f7d1c, -44);
    private static readonly float C5 = HexFloat(0x10e4020, -31);
    private static readonly float C4 = HexFloat(0x1573e2e, -29);
    private static readonly float C3 = HexFloat(0x1555e66, -27);
    private static readonly float C2 = HexFloat(0x1fffdb6, -26);
    private static readonly float C1 = HexFloat(0x1ffffec, -25);

    // A float written as mantissa·2^exponent (exact: the mantissas have at most 25 significant bits, trailing zero).
    private static float HexFloat(long mantissa, int exponent) => (float)Math.ScaleB(mantissa, exponent);

    /// <summary>ggml_v_expf (AVX-512) for one lane.</summary>
    public static float VectorExp(float x)
    {
        float z = MathF.FusedMultiplyAdd(x, Log2E, Shifter);
        float n = z - Shifter;
        float b = MathF.FusedMultiplyAdd(-n, Ln2Lo, MathF.FusedMultiplyAdd(-n, Ln2Hi, x));
        float u = b * b;
        float j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C5, b, C4), u, MathF.FusedMultiplyAdd(C3, b, C2)),
            u,
            MathF.FusedMultiplyAdd(C1, b, 1f));
        if (MathF.Abs(n) > 192) return n <= 0 ? 0f : float.PositiveInfinity;
        return MathF.ScaleB(j, (int)n);
    }

    /// <summary>
    /// <see cref="VectorExp(float)"/> on 8 lanes, the same steps lane by lane; j·2^n is formed as j·2^⌊n/2⌋·2^(n−⌊n/2⌋),
    /// both factors normal floats for |n| ≤ 192, so only the last product rounds, as a correctly rounded scaling does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> VectorExp(Vector256<float> x)
    {
        var shifter = Vector256.Create(Shifter);
        var n = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), shifter) - shifter;
        var minusN = Vector256<float>.Zero - n;
        var b = Vector256.FusedMultiplyAdd(minusN, Vector256.Create(Ln2Lo), Vector256.FusedMultiplyAdd(minusN, Vector256.Create(Ln2Hi), x));
        var u = b * b;
        var j = Vector256.FusedMultiplyAdd(
            Vector256.FusedMultiplyAdd(Vector256.FusedMultiplyAdd(Vector256.Create(C5), b, Vector256.Create(C4)), u,
                Vector256.FusedMultiplyAdd(Vector256.Create(C3), b, Vector256.Create(C2))),
            u,
            Vector256.FusedMultiplyAdd(Vector256.Create(C1), b, Vector256<float>.One));
        var k = Vector256.ConvertToInt32(n);
        var k1 = k >> 1;
        var scaled = j * PowerOfTwo(k1) * PowerOfTwo(k - k1);
        var outside = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(n, Vector256<float>.Zero), Vector256<float>.Zero, Vector256.Create(float.PositiveInfinity));
        return Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.Abs(n), Vector256.Create(192f)), outside, scaled);
    }

    // 2^k for integer lanes −126 ≤ k ≤ 127.
    private static Vector256<float> PowerOfTwo(Vector256<int> k) => ((k + Vector256.Create(127)) << 23).AsSingle();

    /// <summary>gate [n] ← silu(gate) ⊙ up for one row as ggml does it, 8 lanes at a time (bit for bit <see cref="SwiGluRowScalar"/>).</summary>
    public static void SwiGluRow(Span<float> gate, ReadOnlySpan<float> up)
    {
        int whole = gate.Length - gate.Length % VectorWidth, i = 0;
        ref float g = ref MemoryMarshal.GetReference(gate);
        ref float w = ref MemoryMarshal.GetReference(up);
        for (; i < whole; i += 8)
        {
            var x = Vector256.LoadUnsafe(ref g, (nuint)i);
            var e = VectorExp(Vector256<float>.Zero - x);
            (x / (Vector256<float>.One + e) * Vector256.LoadUnsafe(ref w, (nuint)i)).StoreUnsafe(ref g, (nuint)i);
        }
        for (; i < gate.Length; i++)
        {
            float v = gate[i];
            gate[i] = v / (1f + MathF.Exp(-v)) * up[i];
        }
    }

    /// <summary>The reference: gate [n] ← silu(gate) ⊙ up for one row, lane by lane as ggml does it.</summary>
    public static void SwiGluRowScalar(Span<float> gate, ReadOnlySpan<float> up)
    {
        int whole = gate.Length - gate.Length % VectorWidth, i = 0;
        for (; i < whole; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + VectorExp(0f - g)) * up[i];
        }
        for (; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + MathF.Exp(-g)) * up[i];
        }
    }
}
