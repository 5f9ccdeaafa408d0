namespace DeepSharp.Train.Grpo;

/// <summary>How per-token losses become the batch loss (TRL's loss_type; spec §D.1).</summary>
public enum LossAggregation
{
    /// <summary>GRPO: mean over sequences of each sequence's token mean.</summary>
    Sequence,

    /// <summary>DAPO / Dr. GRPO style: sum over all completion tokens divided by their count.</summary>
    Token,
}

/// <summary>One completion token's share of the GRPO objective and its derivative with respect to ℓ_θ.</summary>
public readonly record struct TokenTerm(double Loss, double Gradient, double Ratio, double Kl, bool Clipped);

/// <summary>
/// The arithmetic of GRPO (DeepSeekMath/R1; spec §D.1), kept free of tensors so it can be checked by hand:
/// group-normalised advantages, the clipped ratio objective, the k3 KL estimator, loss aggregation.
/// </summary>
public static class GrpoMath
{
    /// <summary>Added to the group's standard deviation (as TRL) so a near-constant group does not blow up.</summary>
    public const double StdEpsilon = 1e-4;

    /// <summary>
    /// A_i = (r_i − mean(group)) / (std(group) + 1e-4) for consecutive groups of <paramref name="groupSize"/>
    /// (sample standard deviation, as torch.std); without scaling only the mean is subtracted (Dr. GRPO).
    /// Equal rewards in a group give zero advantages.
    /// </summary>
    public static double[] Advantages(IReadOnlyList<double> rewards, int groupSize, bool scaleByStd = true)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        if (rewards.Count % groupSize != 0)
        {
            throw new ArgumentException($"{rewards.Count} rewards do not split into groups of {groupSize}.", nameof(rewards));
        }

        var a = new double[rewards.Count];
        for (int g = 0; g < rewards.Count; g += groupSize)
        {
            double mean = 0;
            for (int i = g; i < g + groupSize; i++)
            {
                mean += rewards[i];
            }

            mean /= groupSize;
            double ss = 0;
            for (int i = g; i < g + groupSize; i++)
            {
                ss += (rewards[i] - mean) * (rewards[i] - mean);
            }

            double std = groupSize > 1 ? Math.Sqrt(ss / (groupSize - 1)) : 0;
            for (int i = g; i < g + groupSize; i++)
            {
                double centred = rewards[i] - mean;
                a[i] = centred == 0 ? 0 : scaleByStd ? centred / (std + StdEpsilon) : centred;
            }
        }

        return a;
    }

    /// <summary>
    /// L = −min(ρ·A, clip(ρ, 1−ε_low, 1+ε_high)·A) + β·(e^Δ − Δ − 1) with ρ = e^(ℓ − ℓ_old), Δ = ℓ_ref − ℓ, and
    /// ∂L/∂ℓ = −ρ·A (when the unclipped term is the minimum, else 0) + β·(1 − e^Δ).
    /// </summary>
    public static TokenTerm Token(double logp, double oldLogp, double refLogp, double advantage, double epsLow, double epsHigh, double beta)
    {
        double ratio = Math.Exp(logp - oldLogp);
        double unclipped = ratio * advantage;
        double clipped = Math.Clamp(ratio, 1 - epsLow, 1 + epsHigh) * advantage;
        bool isClipped = clipped < unclipped;
        double surrogate = isClipped ? clipped : unclipped;
        double gradient = isClipped ? 0 : -unclipped;
        double kl = 0;
        if (beta != 0)
        {
            double delta = refLogp - logp;
            kl = Math.Exp(delta) - delta - 1;
            gradient += beta * (1 - Math.Exp(delta));
        }

        return new TokenTerm(-surrogate + beta * kl, gradient, ratio, kl, isClipped);
    }

    /// <summary>The weight of each token of sequence i in the batch loss: 1/(N·T_i) per sequence, or 1/ΣT per token.</summary>
    public static double[] SequenceWeights(IReadOnlyList<int> lengths, LossAggregation aggregation)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        long total = lengths.Sum(l => (long)l);
        return [.. lengths.Select(l => l == 0 ? 0 : aggregation == LossAggregation.Sequence
            ? 1.0 / (lengths.Count * (double)l)
            : 1.0 / total)];
    }
}
