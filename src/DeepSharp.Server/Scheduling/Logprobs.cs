using System.Text;
using DeepSharp.Server.Backend;

namespace DeepSharp.Server.Scheduling;

/// <summary>Log-probabilities from one step's raw logits (log-softmax over the whole vocabulary, before any sampler).</summary>
internal static class Logprobs
{
    public const int MaxTop = 20;

    public static TokenLogprob Compute(ReadOnlySpan<float> logits, int token, int top, IModelBackend backend)
    {
        float logSumExp = LogSumExp(logits);
        var alternatives = new List<TopLogprob>(top);
        foreach (int id in TopIds(logits, top))
            alternatives.Add(Top(id, logits[id] - logSumExp, backend));
        var chosen = Top(token, logits[token] - logSumExp, backend);
        return new TokenLogprob(token, chosen.Text, chosen.Bytes, chosen.Logprob, alternatives);
    }

    // Stable: subtract the maximum before exponentiating.
    internal static float LogSumExp(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) if (l > max) max = l;
        double sum = 0;
        foreach (float l in logits) sum += Math.Exp(l - max);
        return max + (float)Math.Log(sum);
    }

    /// <summary>Ids of the <paramref name="k"/> largest logits, largest first (ties: lower id first).</summary>
    internal static int[] TopIds(ReadOnlySpan<float> logits, int k)
    {
        k = Math.Min(k, logits.Length);
        if (k <= 0) return [];
        var ids = new int[k];
        int count = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (count == k && logits[i] <= logits[ids[k - 1]]) continue;
            int at = count < k ? count++ : k - 1;
            while (at > 0 && logits[ids[at - 1]] < logits[i]) { ids[at] = ids[at - 1]; at--; }
            ids[at] = i;
        }
        return ids;
    }

    private static TopLogprob Top(int id, float logprob, IModelBackend backend)
    {
        byte[] bytes = backend.TokenBytes(id);
        return new TopLogprob(id, Encoding.UTF8.GetString(bytes), bytes, logprob);
    }
}
