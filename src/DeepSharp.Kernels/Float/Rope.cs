namespace DeepSharp.Kernels.Float;

/// <summary>Which elements of a head form a rotated pair.</summary>
public enum RopeStyle
{
    /// <summary>"Normal"/GPT-J: adjacent pairs (x[2i], x[2i+1]) — llama, deepseek2.</summary>
    Norm,
    /// <summary>Rotate-half: (x[i], x[i + nRot/2]) — qwen2.</summary>
    Neox,
}

/// <summary>How positions are stretched beyond the trained context (GGUF <c>rope.scaling.type</c>).</summary>
public enum RopeScaling { None, Linear, Yarn }

/// <summary>
/// Rotary embedding parameters. Angles follow llama.cpp's recipe (ggml rope): θ starts at the position and is
/// multiplied by base^(−2/nRot) once per pair, divided by an optional per-pair frequency factor; linear scaling
/// multiplies θ by <see cref="FreqScale"/>; YaRN blends scaled and unscaled θ over the correction range and
/// scales cos/sin by mscale.
/// </summary>
public sealed record RopeConfig(RopeStyle Style, int NRot, float FreqBase)
{
    public RopeScaling Scaling { get; init; } = RopeScaling.None;
    /// <summary>1 / scaling factor (1 when unscaled).</summary>
    public float FreqScale { get; init; } = 1f;
    /// <summary>Trained context before scaling (YaRN correction range).</summary>
    public int NCtxOrig { get; init; }
    public float ExtFactor { get; init; }
    public float AttnFactor { get; init; } = 1f;
    public float BetaFast { get; init; } = 32f;
    public float BetaSlow { get; init; } = 1f;
    /// <summary>Optional per-pair divisors of θ (llama-3.1 <c>rope_freqs.weight</c>), length nRot/2.</summary>
    public float[]? FreqFactors { get; init; }
}

/// <summary>Rotary position embedding: per-position cos/sin tables, then rotation of each head in place.</summary>
public static class Rope
{
    /// <summary>cos, sin [nRot/2] ← the rotation angles of position <paramref name="pos"/>.</summary>
    public static void Angles(RopeConfig c, int pos, Span<float> cos, Span<float> sin)
    {
        ArgumentNullException.ThrowIfNull(c);
        int half = c.NRot / 2;
        float thetaScale = MathF.Pow(c.FreqBase, -2f / c.NRot);
        (float low, float high) = c.ExtFactor != 0 ? CorrectionDims(c) : (0f, 0f);
        float theta = pos;
        for (int i = 0; i < half; i++)
        {
            float extrap = c.FreqFactors is { } ff ? theta / ff[i] : theta;
            float interp = c.FreqScale * extrap, angle = interp, mscale = c.AttnFactor;
            if (c.ExtFactor != 0)
            {
                float mix = RampDown(low, high, i) * c.ExtFactor;
                angle = interp * (1 - mix) + extrap * mix;
                mscale *= 1f + 0.1f * MathF.Log(1f / c.FreqScale);
            }
            cos[i] = MathF.Cos(angle) * mscale;
            sin[i] = MathF.Sin(angle) * mscale;
            theta *= thetaScale;
        }
    }

    /// <summary>head [headDim] ← rotate its first nRot elements by (cos, sin) [nRot/2], pairing by <paramref name="style"/>.</summary>
    public static void Rotate(Span<float> head, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, RopeStyle style)
    {
        int half = cos.Length;
        int stride = style == RopeStyle.Neox ? 1 : 2, partner = style == RopeStyle.Neox ? half : 1;
        for (int i = 0; i < half; i++)
        {
            int a = i * stride, b = a + partner;
            float x0 = head[a], x1 = head[b];
            // ggml's rope is built with contraction to FMA: the first product is fused, the second rounded.
            head[a] = MathF.FusedMultiplyAdd(x0, cos[i], -(x1 * sin[i]));
            head[b] = MathF.FusedMultiplyAdd(x0, sin[i], x1 * cos[i]);
        }
    }

    // YaRN: the pair indices whose wavelength crosses betaFast / betaSlow rotations over the original context.
    private static (float Low, float High) CorrectionDims(RopeConfig c)
    {
        float Dim(float rotations) =>
            c.NRot * MathF.Log(c.NCtxOrig / (rotations * 2 * MathF.PI)) / (2 * MathF.Log(c.FreqBase));
        return (MathF.Max(0, MathF.Floor(Dim(c.BetaFast))), MathF.Min(c.NRot - 1, MathF.Ceiling(Dim(c.BetaSlow))));
    }

    private static float RampDown(float low, float high, int pair)
    {
        float y = (pair - low) / MathF.Max(0.001f, high - low);
        return 1 - Math.Clamp(y, 0f, 1f);
    }
}
