namespace DeepSharp.Kernels.Attention;

/// <summary>
/// The f16 · f16 dot of llama.cpp's CPU flash attention (ggml_vec_dot_f16, AVX-512 build), summed in the same
/// order so scores round identically: per 64 elements, four 16-lane accumulators take fused products; they are
/// reduced as (a0 + a2) + (a1 + a3), then lanes pairwise (i + 8, i + 4, i + 2, i + 1); elements past the last
/// whole 64 are added one by one in double.
/// </summary>
internal static class HalfDot
{
    private const int Lanes = 16, Accumulators = 4, Step = Lanes * Accumulators;

    /// <summary>Σ k[i]·q[i], q already rounded to f16 values.</summary>
    public static float LikeGgml(ReadOnlySpan<Half> k, ReadOnlySpan<float> q)
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
