using DeepSharp.Models.Abstractions;
using DeepSharp.Models.Blocks;

namespace DeepSharp.Models.Tests;

/// <summary>DeepSeekMoE routing against hand-computed values and its invariants (DEEPSEEK.md §B.5).</summary>
public sealed class MoeRouterTests
{
    private static (int[] Chosen, float[] Weights) Route(MoeRouting r, float[] logits, float[]? bias = null)
    {
        var chosen = new int[r.NExpertUsed];
        var weights = new float[r.NExpertUsed];
        MoeRouter.Route(r, logits, bias, new float[r.NExpert], new float[r.NExpert], chosen, weights);
        return (chosen, weights);
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    [Fact]
    public void Softmax_gating_picks_the_best_experts_best_first_with_their_probabilities()
    {
        var r = new MoeRouting { NExpert = 4, NExpertUsed = 2, Gating = ExpertGating.Softmax };
        var (chosen, weights) = Route(r, [0f, 1f, 2f, 3f]);
        double z = 1 + Math.E + Math.Exp(2) + Math.Exp(3);
        Assert.Equal([3, 2], chosen);
        Assert.Equal(Math.Exp(3) / z, weights[0], 1e-6);
        Assert.Equal(Math.Exp(2) / z, weights[1], 1e-6);
    }

    [Fact]
    public void The_bias_chooses_experts_but_weights_are_the_unbiased_sigmoid_scores_normalised_and_scaled()
    {
        var r = new MoeRouting { NExpert = 4, NExpertUsed = 2, Gating = ExpertGating.Sigmoid, NormalizeWeights = true, WeightsScale = 2.5f };
        float[] logits = [2f, 0f, 1f, -1f];
        var (plain, _) = Route(r, logits);
        Assert.Equal([0, 2], plain);
        var (chosen, weights) = Route(r, logits, [0f, 3f, 0f, 0f]);   // expert 1 only wins through its bias
        Assert.Equal([1, 0], chosen);
        float s1 = Sigmoid(0f), s0 = Sigmoid(2f);
        Assert.Equal(2.5f * s1 / (s1 + s0), weights[0], 1e-6f);
        Assert.Equal(2.5f * s0 / (s1 + s0), weights[1], 1e-6f);
    }

    [Fact]
    public void Whatever_the_bias_a_chosen_expert_gets_its_own_score_times_the_scale()
    {
        var r = new MoeRouting { NExpert = 16, NExpertUsed = 4, Gating = ExpertGating.Sigmoid, WeightsScale = 16f, NGroup = 4, NGroupUsed = 2 };
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            float[] logits = [.. Enumerable.Range(0, 16).Select(_ => (float)rng.NextDouble() * 4 - 2)];
            float[] bias = [.. Enumerable.Range(0, 16).Select(_ => (float)rng.NextDouble() - 0.5f)];
            var (chosen, weights) = Route(r, logits, bias);
            Assert.Equal(4, chosen.Distinct().Count());
            for (int i = 0; i < 4; i++) Assert.Equal(16f * Sigmoid(logits[chosen[i]]), weights[i], 1e-5f);
        }
    }

    [Fact]
    public void Group_limited_routing_ranks_groups_by_their_two_best_experts()
    {
        // Expert 0 is the best single expert, but group 1 (experts 2, 3) has the larger top-2 sum.
        float[] logits = [4f, -9f, 3.5f, 3.5f, 0f, 0f, 0f, 0f];
        var free = new MoeRouting { NExpert = 8, NExpertUsed = 2, Gating = ExpertGating.Softmax };
        Assert.Equal([0, 2], Route(free, logits).Chosen);
        var grouped = free with { NGroup = 4, NGroupUsed = 1 };
        var (chosen, weights) = Route(grouped, logits);
        Assert.Equal([2, 3], chosen);
        double z = logits.Sum(v => Math.Exp(v));
        Assert.Equal(Math.Exp(3.5) / z, weights[0], 1e-6);   // still the softmax over all experts
    }
}
