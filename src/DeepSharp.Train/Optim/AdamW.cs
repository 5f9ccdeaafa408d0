using DeepSharp.Train.Modeling;

namespace DeepSharp.Train.Optim;

/// <summary>AdamW hyper-parameters; weight decay applies to matrices only (not norms, biases).</summary>
public sealed record AdamWOptions
{
    public float Beta1 { get; init; } = 0.9f;

    public float Beta2 { get; init; } = 0.95f;

    public float Epsilon { get; init; } = 1e-8f;

    public float WeightDecay { get; init; } = 0.01f;
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter): m ← β1·m + (1−β1)·g ; v ← β2·v + (1−β2)·g² ; θ ← θ − lr·(m̂/(√v̂ + ε) + λ·θ)
/// with bias-corrected m̂, v̂. State (m, v, step) is public so checkpoints can save and restore it exactly.
/// </summary>
public sealed class AdamW
{
    private readonly IReadOnlyList<Parameter> _parameters;

    public AdamW(IReadOnlyList<Parameter> parameters, AdamWOptions? options = null)
    {
        _parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        Options = options ?? new AdamWOptions();
        M = [.. parameters.Select(p => new float[p.Value.Length])];
        V = [.. parameters.Select(p => new float[p.Value.Length])];
    }

    public AdamWOptions Options { get; }

    /// <summary>Updates taken so far.</summary>
    public int Step { get; set; }

    public float[][] M { get; }

    public float[][] V { get; }

    /// <summary>One update with learning rate <paramref name="lr"/> from the parameters' gradients (left as they are).</summary>
    public void Update(float lr)
    {
        Step++;
        float b1 = Options.Beta1, b2 = Options.Beta2;
        float c1 = 1f / (1f - MathF.Pow(b1, Step)), c2 = 1f / (1f - MathF.Pow(b2, Step));
        Parallel.For(0, _parameters.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            Parameter p = _parameters[i];
            float decay = p.Value.Rows > 1 ? Options.WeightDecay : 0f;
            float[] w = p.Value.Data, g = p.Value.Grad, m = M[i], v = V[i];
            for (int j = 0; j < w.Length; j++)
            {
                m[j] = b1 * m[j] + (1 - b1) * g[j];
                v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
                float update = m[j] * c1 / (MathF.Sqrt(v[j] * c2) + Options.Epsilon);
                w[j] -= lr * (update + decay * w[j]);
            }
        });
    }
}

/// <summary>Learning rate: linear warmup from 0, then cosine decay to <see cref="MinRatio"/>·peak at the last step.</summary>
public sealed record LrSchedule(float Peak, int WarmupSteps, int TotalSteps, float MinRatio = 0.1f)
{
    public float At(int step)
    {
        if (step < WarmupSteps)
        {
            return Peak * (step + 1) / WarmupSteps;
        }

        float progress = TotalSteps <= WarmupSteps ? 1f : Math.Clamp((float)(step - WarmupSteps) / (TotalSteps - WarmupSteps), 0f, 1f);
        float cosine = 0.5f * (1f + MathF.Cos(MathF.PI * progress));
        return Peak * (MinRatio + (1f - MinRatio) * cosine);
    }
}

/// <summary>Global gradient-norm clipping.</summary>
public static class GradClip
{
    /// <summary>Scales every gradient so their joint L2 norm is at most <paramref name="maxNorm"/>; returns the norm before.</summary>
    public static float ClipGlobalNorm(IReadOnlyList<Parameter> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sumSq = 0;
        foreach (Parameter p in parameters)   // sequential, fixed order: the same sum on every run
        {
            foreach (float g in p.Value.Grad)
            {
                sumSq += (double)g * g;
            }
        }

        float norm = (float)Math.Sqrt(sumSq);
        if (maxNorm > 0 && norm > maxNorm)
        {
            float scale = maxNorm / (norm + 1e-6f);
            foreach (Parameter p in parameters)
            {
                float[] g = p.Value.Grad;
                for (int j = 0; j < g.Length; j++)
                {
                    g[j] *= scale;
                }
            }
        }

        return norm;
    }
}
