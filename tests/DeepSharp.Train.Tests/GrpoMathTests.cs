using DeepSharp.Train.Grpo;

namespace DeepSharp.Train.Tests;

/// <summary>The GRPO arithmetic against values worked out by hand (spec §D.1).</summary>
public class GrpoMathTests
{
    [Fact]
    public void Equal_rewards_in_a_group_give_zero_advantage()
    {
        double[] a = GrpoMath.Advantages([1, 1, 1, 1, 0.1, 0.1, 0.1, 0.1], groupSize: 4);
        Assert.All(a, v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Advantages_are_centred_and_divided_by_the_groups_sample_std()
    {
        // mean 0.5, sample std √(4·0.25/3) = 0.577350; (±0.5) / (0.577350 + 1e-4) = ±0.865876
        double[] a = GrpoMath.Advantages([1, 0, 1, 0, 3, 3, 3, 1], groupSize: 4);
        Assert.Equal(0.865876, a[0], 5);
        Assert.Equal(-0.865876, a[1], 5);
        // second group: mean 2.5, sample std 1; 0.5 / 1.0001 and −1.5 / 1.0001
        Assert.Equal(0.499950, a[4], 5);
        Assert.Equal(-1.499850, a[7], 5);
        double[] centred = GrpoMath.Advantages([1, 0, 1, 0], groupSize: 4, scaleByStd: false);
        Assert.Equal([0.5, -0.5, 0.5, -0.5], centred);
    }

    [Fact]
    public void On_policy_the_ratio_is_one_and_the_gradient_is_minus_the_advantage()
    {
        TokenTerm t = GrpoMath.Token(logp: -0.7, oldLogp: -0.7, refLogp: -0.7, advantage: 2, epsLow: 0.2, epsHigh: 0.2, beta: 0.04);
        Assert.Equal(1.0, t.Ratio);
        Assert.Equal(0.0, t.Kl);
        Assert.Equal(-2.0, t.Loss);
        Assert.Equal(-2.0, t.Gradient);
        Assert.False(t.Clipped);
    }

    [Fact]
    public void A_ratio_beyond_one_plus_epsilon_is_clipped_for_positive_advantages_only()
    {
        double old = -1.0, logp = old + Math.Log(1.5);
        TokenTerm up = GrpoMath.Token(logp, old, logp, advantage: 1, epsLow: 0.2, epsHigh: 0.2, beta: 0);
        Assert.Equal(1.5, up.Ratio, 12);
        Assert.True(up.Clipped);
        Assert.Equal(-1.2, up.Loss, 12);       // −min(1.5·1, 1.2·1)
        Assert.Equal(0.0, up.Gradient);        // the clipped branch is constant in θ

        TokenTerm down = GrpoMath.Token(logp, old, logp, advantage: -1, epsLow: 0.2, epsHigh: 0.2, beta: 0);
        Assert.False(down.Clipped);
        Assert.Equal(1.5, down.Loss, 12);      // −min(−1.5, −1.2)
        Assert.Equal(1.5, down.Gradient, 12);  // −ρ·A

        TokenTerm higher = GrpoMath.Token(logp, old, logp, advantage: 1, epsLow: 0.2, epsHigh: 0.6, beta: 0);
        Assert.False(higher.Clipped);          // DAPO's clip-higher leaves room up to 1.6
    }

    [Fact]
    public void K3_kl_estimate_and_its_gradient()
    {
        // Δ = ℓ_ref − ℓ = −1: KL = e^−1 − (−1) − 1 = 0.367879; ∂KL/∂ℓ = 1 − e^−1 = 0.632121
        TokenTerm t = GrpoMath.Token(logp: -1, oldLogp: -1, refLogp: -2, advantage: 0, epsLow: 0.2, epsHigh: 0.2, beta: 0.5);
        Assert.Equal(0.367879, t.Kl, 6);
        Assert.Equal(0.5 * 0.367879, t.Loss, 6);
        Assert.Equal(0.5 * 0.632121, t.Gradient, 6);
        TokenTerm noKl = GrpoMath.Token(logp: -1, oldLogp: -1, refLogp: -2, advantage: 0, epsLow: 0.2, epsHigh: 0.2, beta: 0);
        Assert.Equal(0.0, noKl.Gradient);
    }

    [Fact]
    public void Per_sequence_and_per_token_aggregation_weights()
    {
        Assert.Equal([0.25, 0.125], GrpoMath.SequenceWeights([2, 4], LossAggregation.Sequence));
        Assert.Equal([1 / 6.0, 1 / 6.0], GrpoMath.SequenceWeights([2, 4], LossAggregation.Token));
    }
}
