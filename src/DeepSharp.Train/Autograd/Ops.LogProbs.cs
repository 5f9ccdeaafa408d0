namespace DeepSharp.Train.Autograd;

public static partial class Ops
{
    /// <summary>
    /// y [n, 1] = log softmax(logits[r] / T)[targets[r]] for rows whose target is ≥ 0 (others give 0 and no
    /// gradient). Seeding y's gradient with −1/count gives cross-entropy; GRPO seeds its per-token loss derivative.
    /// </summary>
    public static Tensor TokenLogProbs(Tape tape, Tensor logits, int[] targets, float temperature = 1f)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Length != logits.Rows)
        {
            throw new ArgumentException($"{targets.Length} targets for {logits.Rows} rows of logits.", nameof(targets));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(temperature, 0f);
        int v = logits.Cols;
        var y = new Tensor(logits.Rows, 1);
        var logSumExp = new float[logits.Rows];
        tape.For(logits.Rows, r =>
        {
            if (targets[r] < 0)
            {
                return;
            }

            ReadOnlySpan<float> row = logits.Row(r);
            logSumExp[r] = LogSumExp(row, temperature);
            y.Data[r] = row[targets[r]] / temperature - logSumExp[r];
        });
        tape.Record(() =>
        {
            if (!y.HasGrad)
            {
                return;
            }

            float[] dl = logits.Grad;
            tape.For(logits.Rows, r =>
            {
                float g = y.Grad[r];
                if (targets[r] < 0 || g == 0)
                {
                    return;
                }

                // ∂ log p_t / ∂ z_i = (1[i = t] − p_i) / T
                ReadOnlySpan<float> row = logits.Row(r);
                Span<float> d = dl.AsSpan(r * v, v);
                float scale = g / temperature;
                for (int i = 0; i < v; i++)
                {
                    d[i] -= scale * MathF.Exp(row[i] / temperature - logSumExp[r]);
                }

                d[targets[r]] += scale;
            });
        });
        return y;
    }

    internal static float LogSumExp(ReadOnlySpan<float> row, float temperature)
    {
        float max = float.NegativeInfinity;
        foreach (float z in row)
        {
            max = MathF.Max(max, z / temperature);
        }

        double sum = 0;
        foreach (float z in row)
        {
            sum += Math.Exp(z / temperature - max);
        }

        return max + (float)Math.Log(sum);
    }
}
