namespace DeepSharp.Core.Quant;

/// <summary>
/// The part of the Q4_K and Q5_K reference quantizers they share: fit each 32-value sub-block with
/// make_qkx2_quants, store the eight scales and minimums as 6-bit fractions of their maxima, then requantize every
/// value against the stored (rounded) scales.
/// </summary>
internal static class KQuantAsymmetric
{
    /// <summary>Fits the 8 sub-blocks of <paramref name="x"/> (256 values); writes packed scales and returns the super-block scales.</summary>
    public static void FitSubBlocks(ReadOnlySpan<float> x, Span<byte> levels, int nmax, float rmin, float rdelta, int nstep,
        Span<byte> packedScales, out float d, out float dmin)
    {
        Span<float> weights = stackalloc float[32];
        Span<byte> aux = stackalloc byte[32];
        Span<float> scales = stackalloc float[8];
        Span<float> mins = stackalloc float[8];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; ++j)
        {
            ReadOnlySpan<float> xs = x.Slice(32 * j, 32);
            float sumX2 = 0;
            for (int l = 0; l < 32; ++l) sumX2 += xs[l] * xs[l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; ++l) weights[l] = avX + MathF.Abs(xs[l]);
            scales[j] = QuantMath.MakeQkx2Quants(32, nmax, xs, weights, levels.Slice(32 * j, 32), out mins[j], aux, rmin, rdelta, nstep, useMad: false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        Span<byte> ls = stackalloc byte[8];
        Span<byte> lm = stackalloc byte[8];
        for (int j = 0; j < 8; ++j)
        {
            ls[j] = Math.Min((byte)63, (byte)QuantMath.NearestInt(invScale * scales[j]));
            lm[j] = Math.Min((byte)63, (byte)QuantMath.NearestInt(invMin * mins[j]));
        }
        QuantMath.PackScaleMinK4(ls, lm, packedScales);
        d = maxScale / 63f;
        dmin = maxMin / 63f;
    }

    /// <summary>Re-rounds every value against the stored scales (sub-blocks whose scale is 0 keep their fitted levels).</summary>
    public static void Requantize(ReadOnlySpan<float> x, Span<byte> levels, int nmax, ReadOnlySpan<byte> packedScales, float d, float dmin)
    {
        for (int j = 0; j < 8; ++j)
        {
            QuantMath.GetScaleMinK4(j, packedScales, out byte sc, out byte m);
            float ds = d * sc;
            if (ds == 0) continue;
            float dm = dmin * m;
            for (int ii = 0; ii < 32; ++ii)
            {
                int l = QuantMath.NearestInt((x[32 * j + ii] + dm) / ds);
                levels[32 * j + ii] = (byte)Math.Clamp(l, 0, nmax);
            }
        }
    }
}
