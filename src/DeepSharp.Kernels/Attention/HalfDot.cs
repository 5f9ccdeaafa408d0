using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DeepSharp.Kernels.Float;

namespace DeepSharp.Kernels.Attention;

/// <summary>
/// The f16 · f16 dot of llama.cpp's CPU flash attention (ggml_vec_dot_f16, AVX-512 build), summed in the same
/// order so scores round identically: per 64 elements, four 16-lane accumulators take fused products; they are
/// reduced as (a0 + a2) + (a1 + a3), then lanes pairwise (i + 8, i + 4, i + 2, i + 1); elements past the last
/// whole 64 are added one by one in double. <see cref="LikeGgml(ReadOnlySpan{Half}, ReadOnlySpan{float})"/> keeps the 64 lanes in 8 vectors;
/// <see cref="LikeGgmlScalar"/> is its reference.
/// </summary>
internal static class HalfDot
{
    private const int Lanes = 16, Accumulators = 4, Step = Lanes * Accumulators;

    /// <summary>Σ k[i]·q[i], q already rounded to f16 values.</summary>
    public static float LikeGgml(ReadOnlySpan<Half> k, ReadOnlySpan<float> q)
    {
        if (!Vector256.IsHardwareAccelerated) return LikeGgmlScalar(k, q);
        // Widening is exact, so the float-key sum below gives the same bits; keys are head-sized (≤ 1024 here).
        Span<float> wide = k.Length <= 1024 ? stackalloc float[k.Length] : new float[k.Length];
        HalfVector.Widen(k, wide);
        return LikeGgml(wide, q);
    }

    /// <summary>
    /// The same sum with the key already widened to floats (<paramref name="k"/> holds f16 values), so one widened
    /// key serves every query head of its group: identical steps, identical bits.
    /// </summary>
    public static float LikeGgml(ReadOnlySpan<float> k, ReadOnlySpan<float> q)
    {
        int n = k.Length, whole = n - n % Step;
        double sum = 0;
        if (whole > 0 && Vector256.IsHardwareAccelerated)
        {
            ref float pk = ref MemoryMarshal.GetReference(k);
            ref float pq = ref MemoryMarshal.GetReference(q);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int i = 0; i < whole; i += Step)
            {
                a0 = Fma(ref pk, ref pq, i, a0);
                a1 = Fma(ref pk, ref pq, i + 8, a1);
                a2 = Fma(ref pk, ref pq, i + 16, a2);
                a3 = Fma(ref pk, ref pq, i + 24, a3);
                a4 = Fma(ref pk, ref pq, i + 32, a4);
                a5 = Fma(ref pk, ref pq, i + 40, a5);
                a6 = Fma(ref pk, ref pq, i + 48, a6);
                a7 = Fma(ref pk, ref pq, i + 56, a7);
            }
            var r = ((a1 + a5) + (a3 + a7)) + ((a0 + a4) + (a2 + a6));
            var h = r.GetUpper() + r.GetLower();
            float s2 = h[2] + h[0], s3 = h[3] + h[1];
            sum = s3 + s2;
        }
        else if (whole > 0)
        {
            Span<float> acc = stackalloc float[Step];
            acc.Clear();
            for (int i = 0; i < whole; i += Step)
                for (int j = 0; j < Step; j++)
                    acc[j] = MathF.FusedMultiplyAdd(k[i + j], q[i + j], acc[j]);
            for (int l = 0; l < Lanes; l++)
                acc[l] = (acc[l] + acc[2 * Lanes + l]) + (acc[Lanes + l] + acc[3 * Lanes + l]);
            for (int width = Lanes / 2; width >= 1; width /= 2)
                for (int l = 0; l < width; l++) acc[l] = acc[l + width] + acc[l];
            sum = acc[0];
        }
        for (int i = whole; i < n; i++) sum += k[i] * q[i];
        return (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(ref float k, ref float q, int at, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref k, (nuint)at), Vector256.LoadUnsafe(ref q, (nuint)at), acc);


    /// <summary>The reference: the 64 lanes one by one.</summary>
    internal static float LikeGgmlScalar(ReadOnlySpan<Half> k, ReadOnlySpan<float> q)
    {
        int n = k.Length, whole = n - n % Step;
        double sum = 0;
        if (whole > 0)
        {
            Span<float> acc = stackalloc float[Step];
            acc.Clear();
            for (int i = 0; i < whole; i += Step)
                for (int j = 0; j < Step; j++)
                    acc[j] = MathF.FusedMultiplyAdd((float)k[i + j], q[i + j], acc[j]);
            for (int l = 0; l < Lanes; l++)
                acc[l] = (acc[l] + acc[2 * Lanes + l]) + (acc[Lanes + l] + acc[3 * Lanes + l]);
            for (int width = Lanes / 2; width >= 1; width /= 2)
                for (int l = 0; l < width; l++) acc[l] = acc[l + width] + acc[l];
            sum = acc[0];
        }
        for (int i = whole; i < n; i++) sum += (float)k[i] * q[i];
        return (float)sum;
    }
}
