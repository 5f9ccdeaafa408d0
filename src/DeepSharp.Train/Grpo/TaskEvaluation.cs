using DeepSharp.Gguf;
using DeepSharp.Reasoning;
using DeepSharp.Reasoning.Tasks;
using DeepSharp.Train.Modeling;

namespace DeepSharp.Train.Grpo;

/// <summary>Accuracy on held-out problems with a 95% Wilson interval, plus the format rate and mean response length.</summary>
public sealed record EvalResult(string Task, int N, int Correct, double Accuracy, double CiLow, double CiHigh, double FormatRate, double MeanLength);

/// <summary>
/// Greedy (or sampled) answers of a GGUF model to a task's held-out problems, generated in batches by the engine
/// and graded by the task's checker — the trainer's own evaluation (deepsharp eval, from DeepSharp.Reasoning's
/// helper, reports pass@k and cons@k).
/// </summary>
public static class TaskEvaluation
{
    public static EvalResult Run(string modelPath, string taskName, int limit, int maxNewTokens, float temperature, int seed, int threads, int batch = 64)
    {
        IReasoningTask task = TaskRegistry.Get(taskName);
        IReadOnlyList<Problem> problems = task.HeldOut(limit);
        ChatFormat format;
        using (GgufFile file = GgufFile.Open(modelPath))
        {
            format = new ChatFormat(file.Metadata);
        }

        var rng = new Random(seed);
        int correct = 0, formatted = 0;
        long length = 0;
        for (int start = 0; start < problems.Count; start += batch)
        {
            Problem[] chunk = [.. problems.Skip(start).Take(batch)];
            List<int[]> outputs = Rollouts.Generate(modelPath, [.. chunk.Select(p => format.EncodePrompt(p.Question))], 1, temperature, maxNewTokens, format.Eos, rng, threads);
            for (int i = 0; i < chunk.Length; i++)
            {
                string text = format.Decode(outputs[i]);
                correct += Rewards.Accuracy(task, chunk[i], text) > 0 ? 1 : 0;
                formatted += Rewards.Format(text) > 0 ? 1 : 0;
                length += outputs[i].Length;
            }
        }

        int n = problems.Count;
        (double low, double high) = Wilson(correct, n);
        return new EvalResult(task.Name, n, correct, (double)correct / n, low, high, (double)formatted / n, (double)length / n);
    }

    /// <summary>95% Wilson score interval of a proportion.</summary>
    public static (double Low, double High) Wilson(int successes, int n)
    {
        if (n == 0)
        {
            return (0, 1);
        }

        const double z = 1.959963984540054;
        double p = (double)successes / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        // At 0 or n successes one end is exactly the observed proportion (rounding must not move it past it).
        return (successes == 0 ? 0 : Math.Max(0, centre - half), successes == n ? 1 : Math.Min(1, centre + half));
    }
}
