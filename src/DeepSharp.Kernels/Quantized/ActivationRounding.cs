using System.Runtime.CompilerServices;
using DeepSharp.Core.Quant;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Rounds activations the way llama.cpp's CPU backend does before a product with a weight of a given type: it
/// converts x to the weight type's "vec_dot_type" (F16 → f16, BF16 → bf16, 32-blocks → Q8_0, k-quants → Q8_K)
/// and dots in integers. Rounding x identically and then dotting in float reproduces those sums up to summation
/// order, which keeps greedy continuations identical to the reference on near-ties.
/// </summary>
[SkipLocalsInit]
public static class ActivationRounding
{
    /// <summary>The activation format llama.cpp pairs with <paramref name="weight"/> (F32 = no rounding).</summary>
    public static QuantType PartnerOf(QuantType weight) => weight switch
    {
        QuantType.F16 => QuantType.F16,
        QuantType.BF16 => QuantType.BF16,
        QuantType.Q4_0 or QuantType.Q5_0 or QuantType.Q8_0 or QuantType.IQ4_NL => QuantType.Q8_0,
        QuantType.Q4_1 or QuantType.Q5_1 => QuantType.Q8_1,
        QuantType.Q2_K or QuantType.Q3_K or QuantType.Q4_K or QuantType.Q5_K or QuantType.Q6_K
            or QuantType.IQ4_XS or QuantType.IQ2_XXS or QuantType.IQ2_XS or QuantType.IQ2_S or QuantType.IQ3_XXS
            or QuantType.IQ3_S or QuantType.IQ1_S or QuantType.IQ1_M => QuantType.Q8_K,
        _ => QuantType.F32,
    };

    /// <summary>dst [n] ← x [n] rounded through <paramref name="format"/>; returns false (dst untouched) for F32.</summary>
    public static bool Round(QuantType format, ReadOnlySpan<float> x, Span<float> dst)
    {
        switch (format)
        {
            case QuantType.F16:
                for (int i = 0; i < x.Length; i++) dst[i] = (float)(Half)x[i];
                return true;
            case QuantType.BF16:
                for (int i = 0; i < x.Length; i++) dst[i] = RoundBF16(x[i]);
                return true;
            case QuantType.Q8_0 or QuantType.Q8_1:
                for (int b = 0; b + 32 <= x.Length; b += 32) RoundQ8_0(x.Slice(b, 32), dst.Slice(b, 32));
                return true;
            case QuantType.Q8_K:
                for (int b = 0; b + 256 <= x.Length; b += 256) RoundQ8K(x.Slice(b, 256), dst.Slice(b, 256));
                return true;
            default:
                return false;
        }
    }

    // fp32 → bf16 with round-to-nearest-even (NaN kept quiet), back to fp32.
    internal static float RoundBF16(float v)
    {
        uint u = BitConverter.SingleToUInt32Bits(v);
        if ((u & 0x7fffffff) > 0x7f800000) return BitConverter.UInt32BitsToSingle((u | 0x00400000) & 0xffff0000);
        u = (u + 0x7fff + ((u >> 16) & 1)) & 0xffff0000;
        return BitConverter.UInt32BitsToSingle(u);
    }

    // Q8_0: one f16 scale per 32 values, q = round(x·127/amax) (ties to even, as the AVX quantizer does).
    private static void RoundQ8_0(ReadOnlySpan<float> x, Span<float> y)
    {
        float amax = 0;
        foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
        float inv = amax != 0 ? 127f / amax : 0f;
        float d = (float)(Half)(amax / 127f);
        for (int j = 0; j < 32; j++) y[j] = d * MathF.Round(x[j] * inv, MidpointRounding.ToEven);
    }

    // Q8_K: one f32 scale per 256 values taken from the signed element of largest magnitude, q clamped to 127.
    private static void RoundQ8K(ReadOnlySpan<float> x, Span<float> y)
    {
        float amax = 0, max = 0;
        foreach (float v in x)
            if (MathF.Abs(v) > amax) { amax = MathF.Abs(v); max = v; }
        if (amax == 0) { y.Clear(); return; }
        float iscale = -127f / max, d = 1f / iscale;
        for (int j = 0; j < 256; j++) y[j] = d * MathF.Min(127f, MathF.Round(iscale * x[j], MidpointRounding.ToEven));
    }
}
