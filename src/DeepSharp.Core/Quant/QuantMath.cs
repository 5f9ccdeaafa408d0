using System.Runtime.CompilerServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// Scalar helpers shared by the reference quantizers, transcribed from ggml-quants.c (nearest_int, make_qx_quants,
/// make_q3_quants, make_qkx2_quants, get_scale_min_k4). Float operations keep ggml's evaluation order so that the
/// scale searches take the same decisions.
/// </summary>
internal static class QuantMath
{
    /// <summary>Groups whose largest magnitude is below this are treated as all zero (ggml GROUP_MAX_EPS).</summary>
    public const float GroupMaxEps = 1e-15f;

    /// <summary>Super-block size of the k-quants (ggml QK_K).</summary>
    public const int QK_K = 256;

    /// <summary>Round to nearest, ties to even, valid for |x| &lt;= 4194303 (adds 1.5·2^23 and reads the mantissa).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NearestInt(float x)
    {
        float shifted = x + 12582912f;
        int bits = BitConverter.SingleToInt32Bits(shifted);
        return (bits & 0x007fffff) - 0x00400000;
    }

    /// <summary>Rounds a float to the nearest half and back (the value an FP16 field will hold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ThroughHalf(float x) => (float)(Half)x;

    /// <summary>
    /// Symmetric quantization of <paramref name="x"/> to levels in [-nmax, nmax-1] (stored +nmax in <paramref name="levels"/>),
    /// searching 19 candidate scales for the best weighted least-squares fit. Returns the scale.
    /// rmseType 0 = plain rounding, 1 = weights x², 2 = 1, 3 = |x|, else sqrt|x|; negative = one refit only.
    /// </summary>
    public static float MakeQxQuants(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> levels, int rmseType, ReadOnlySpan<float> weights)
    {
        float max = 0, amax = 0;
        for (int i = 0; i < n; ++i)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            levels[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0)
        {
            for (int i = 0; i < n; ++i)
                levels[i] = (sbyte)(nmax + Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1));
            return 1 / iscale;
        }
        bool returnEarly = rmseType < 0;
        if (returnEarly) rmseType = -rmseType;

        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            levels[i] = (sbyte)(l + nmax);
            float w = Weight(x[i], i, rmseType, weights);
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;

        float best = scale * sumlx;
        for (int step = -9; step <= 9; ++step)
        {
            if (step == 0) continue;
            iscale = -(nmax + 0.1f * step) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
                float w = Weight(x[i], i, rmseType, weights);
                sumlx += w * x[i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2)
            {
                for (int i = 0; i < n; ++i)
                    levels[i] = (sbyte)(nmax + Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1));
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Weight(float xi, int i, int rmseType, ReadOnlySpan<float> weights) =>
        !weights.IsEmpty ? weights[i]
        : rmseType == 1 ? xi * xi
        : rmseType == 2 ? 1
        : rmseType == 3 ? MathF.Abs(xi)
        : MathF.Sqrt(MathF.Abs(xi));

    /// <summary>
    /// Symmetric 3-bit style quantization (levels in [-nmax, nmax-1], stored +nmax) with an optional iterative
    /// per-element refinement of the x²-weighted fit (ggml make_q3_quants). Returns the scale.
    /// </summary>
    public static float MakeQ3Quants(int n, int nmax, ReadOnlySpan<float> x, Span<sbyte> levels, bool doRmse)
    {
        float max = 0, amax = 0;
        for (int i = 0; i < n; ++i)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            levels[..n].Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        if (!doRmse)
        {
            for (int i = 0; i < n; ++i)
                levels[i] = (sbyte)(Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1) + nmax);
            return 1 / iscale;
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = Math.Clamp(NearestInt(iscale * x[i]), -nmax, nmax - 1);
            levels[i] = (sbyte)l;
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int attempt = 0; attempt < 5; ++attempt)
        {
            int changed = 0;
            for (int i = 0; i < n; ++i)
            {
                float w = x[i] * x[i];
                float slx = sumlx - w * x[i] * levels[i];
                if (slx > 0)
                {
                    float sl2 = suml2 - w * levels[i] * levels[i];
                    int newL = Math.Clamp(NearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
                    if (newL != levels[i])
                    {
                        slx += w * x[i] * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2)
                        {
                            levels[i] = (sbyte)newL;
                            sumlx = slx;
                            suml2 = sl2;
                            ++changed;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; ++i) levels[i] += (sbyte)nmax;
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /// <summary>
    /// Asymmetric quantization x ≈ scale·L − min with L in [0, nmax]: starts from the min/max fit, then tries
    /// nstep+1 scales around it, refitting scale and min by weighted least squares (ggml make_qkx2_quants).
    /// Returns the scale; <paramref name="theMin"/> receives the (non-negative) min to subtract.
    /// </summary>
    public static float MakeQkx2Quants(int n, int nmax, ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> levels,
        out float theMin, Span<byte> levelsAux, float rmin, float rdelta, int nstep, bool useMad)
    {
        float min = x[0], max = x[0];
        float sumW = weights[0];
        float sumX = sumW * x[0];
        for (int i = 1; i < n; ++i)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            levels[..n].Clear();
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i)
        {
            int l = NearestInt(iscale * (x[i] - min));
            levels[i] = (byte)Math.Clamp(l, 0, nmax);
            float diff = scale * levels[i] + min - x[i];
            diff = useMad ? MathF.Abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1)
        {
            theMin = -min;
            return scale;
        }
        for (int step = 0; step <= nstep; ++step)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; ++i)
            {
                int l = Math.Clamp(NearestInt(iscale * (x[i] - min)), 0, nmax);
                levelsAux[i] = (byte)l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; ++i)
                {
                    float diff = thisScale * levelsAux[i] + thisMin - x[i];
                    diff = useMad ? MathF.Abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError)
                {
                    levelsAux[..n].CopyTo(levels);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary>Unpacks the 6-bit scale and min of sub-block <paramref name="j"/> (0..7) from the 12 packed bytes of Q4_K/Q5_K.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GetScaleMinK4(int j, ReadOnlySpan<byte> q, out byte scale, out byte min)
    {
        if (j < 4)
        {
            scale = (byte)(q[j] & 63);
            min = (byte)(q[j + 4] & 63);
        }
        else
        {
            scale = (byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
            min = (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
        }
    }

    /// <summary>Packs 6-bit scale/min pairs for the 8 sub-blocks into the 12-byte Q4_K/Q5_K layout.</summary>
    public static void PackScaleMinK4(ReadOnlySpan<byte> scales, ReadOnlySpan<byte> mins, Span<byte> packed)
    {
        packed[..12].Clear();
        for (int j = 0; j < 8; ++j)
        {
            byte ls = scales[j], lm = mins[j];
            if (j < 4)
            {
                packed[j] = ls;
                packed[j + 4] = lm;
            }
            else
            {
                packed[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte)((ls >> 4) << 6);
                packed[j] |= (byte)((lm >> 4) << 6);
            }
        }
    }
}
