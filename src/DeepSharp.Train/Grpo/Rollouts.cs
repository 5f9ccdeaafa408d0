using DeepSharp.Kernels.Attention;
using DeepSharp.Models;

namespace DeepSharp.Train.Grpo;

/// <summary>
/// Generates completions with the engine: every sequence gets its own session (prompt prefilled), then all
/// unfinished sequences advance together through a <see cref="BatchDecoder"/>, one token per step, until EOS or the
/// token limit. Sampling is plain softmax at a temperature (0: greedy), so the trainer can recompute exactly the
/// log-probabilities the tokens were drawn with.
/// </summary>
public static class Rollouts
{
    /// <summary>Completions (without the prompt; ending with EOS when finished), <paramref name="samplesEach"/> per prompt, prompt-major.</summary>
    public static List<int[]> Generate(string modelPath, IReadOnlyList<int[]> prompts, int samplesEach, float temperature,
        int maxNewTokens, int eos, Random rng, int threads)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(rng);
        int count = prompts.Count * samplesEach;
        int context = prompts.Max(p => p.Length) + maxNewTokens + 1;
        using Model model = Model.Load(modelPath, new LoadOptions { Threads = threads, ContextSize = context, KvType = KvType.F32 });
        var sessions = new Session[count];
        var outputs = new List<int>[count];
        var next = new int[count];
        for (int i = 0; i < count; i++)
        {
            sessions[i] = model.CreateSession();
            outputs[i] = [];
            next[i] = Sample(sessions[i].Prefill(prompts[i / samplesEach]), temperature, rng);
        }

        var decoder = new BatchDecoder(model, count);
        var active = new List<int>(Enumerable.Range(0, count));
        while (active.Count > 0)
        {
            foreach (int i in active)
            {
                outputs[i].Add(next[i]);
            }

            active.RemoveAll(i => next[i] == eos || outputs[i].Count >= maxNewTokens);
            if (active.Count == 0)
            {
                break;
            }

            decoder.DecodeStep([.. active.Select(i => sessions[i])], [.. active.Select(i => next[i])]);
            for (int k = 0; k < active.Count; k++)
            {
                next[active[k]] = Sample(decoder.LogitsOf(k), temperature, rng);
            }
        }

        foreach (Session s in sessions)
        {
            s.Dispose();
        }

        return [.. outputs.Select(o => o.ToArray())];
    }

    /// <summary>argmax at temperature 0, else a draw from softmax(logits / T).</summary>
    public static int Sample(ReadOnlySpan<float> logits, float temperature, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        if (temperature <= 0)
        {
            return best;
        }

        double sum = 0;
        var weights = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            weights[i] = Math.Exp((logits[i] - logits[best]) / temperature);
            sum += weights[i];
        }

        double u = rng.NextDouble() * sum;
        for (int i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u <= 0)
            {
                return i;
            }
        }

        return best;
    }
}
