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

    /// <summary>gate [n] ← silu(gate) ⊙ up for one row, lane by lane as ggml does it.</summary>
    public static void SwiGluRow(Span<float> gate, ReadOnlySpan<float> up)
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
