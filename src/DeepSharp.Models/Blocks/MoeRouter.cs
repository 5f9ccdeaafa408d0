using DeepSharp.Kernels.Float;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Blocks;

/// <summary>
/// DeepSeekMoE top-k routing of one token, in llama.cpp's order of operations (build_moe_ffn):
/// scores s = softmax or sigmoid of the router logits; selection values s + b (b = <c>exp_probs_b</c>, V3 only);
/// with expert groups, each group is scored by the sum of its two best selection values and only the best
/// NGroupUsed groups stay eligible; the k best eligible experts are chosen (best first); their weights are the
/// unbiased scores s, optionally divided by their sum, then multiplied by the routed scaling factor.
/// The bias therefore changes which experts are chosen, never the weight a chosen expert gets.
/// </summary>
public static class MoeRouter
{
    // llama.cpp clamps the weight sum before dividing (ggml_clamp(…, 6.103515625e-5, INF)): 2^-14, the smallest normal f16.
    private const float MinWeightSum = 6.103515625e-5f;

    /// <summary>
    /// chosen [k], weights [k] ← the experts of one token with router <paramref name="logits"/> [nExpert];
    /// <paramref name="scores"/> and <paramref name="selection"/> [nExpert] are scratch.
    /// </summary>
    public static void Route(MoeRouting r, ReadOnlySpan<float> logits, ReadOnlySpan<float> bias,
        Span<float> scores, Span<float> selection, Span<int> chosen, Span<float> weights)
    {
        ArgumentNullException.ThrowIfNull(r);
        int n = r.NExpert, k = r.NExpertUsed;
        logits[..n].CopyTo(scores);
        if (r.Gating == ExpertGating.Softmax) FloatKernels.Softmax(scores[..n]);
        else for (int e = 0; e < n; e++) scores[e] = 1f / (1f + MathF.Exp(-scores[e]));
        for (int e = 0; e < n; e++) selection[e] = bias.IsEmpty ? scores[e] : scores[e] + bias[e];
        if (r.NGroup > 1) KeepBestGroups(r, selection);
        for (int i = 0; i < k; i++)
        {
            int best = ArgMax(selection[..n]);
            chosen[i] = best;
            weights[i] = scores[best];
            selection[best] = float.NegativeInfinity;
        }
        if (r.NormalizeWeights)
        {
            float sum = 0;
            for (int i = 0; i < k; i++) sum += weights[i];
            sum = MathF.Max(sum, MinWeightSum);
            for (int i = 0; i < k; i++) weights[i] /= sum;
        }
        for (int i = 0; i < k; i++) weights[i] *= r.WeightsScale;
    }

    // Group score = sum of its two largest selection values; every expert outside the NGroupUsed best groups → −∞.
    private static void KeepBestGroups(MoeRouting r, Span<float> selection)
    {
        int perGroup = r.NExpert / r.NGroup;
        Span<float> groupScore = stackalloc float[r.NGroup];
        for (int g = 0; g < r.NGroup; g++)
        {
            var members = selection.Slice(g * perGroup, perGroup);
            int first = ArgMax(members);
            float second = float.NegativeInfinity;
            for (int i = 0; i < members.Length; i++)
                if (i != first && members[i] > second) second = members[i];
            groupScore[g] = members[first] + second;
        }
        Span<bool> keep = stackalloc bool[r.NGroup];
        for (int i = 0; i < r.NGroupUsed; i++)
        {
            int best = ArgMax(groupScore);
            keep[best] = true;
            groupScore[best] = float.NegativeInfinity;
        }
        for (int g = 0; g < r.NGroup; g++)
            if (!keep[g]) selection.Slice(g * perGroup, perGroup).Fill(float.NegativeInfinity);
    }

    // First index of the maximum (ties go to the lower expert id).
    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++)
            if (x[i] > x[best]) best = i;
        return best;
    }
}
