using System.Text;
using DeepSharp.Reasoning;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Train.Data;

/// <summary>
/// The text the tokenizer's BPE merges are learned from: questions and teacher solutions of every built-in task
/// (fixed seed), so " carry", " write", " left" and the like become single tokens while digits stay one token each
/// (the deepseek-r1-qwen pre-tokenizer splits numbers into digits). Same text on every machine → same vocabulary.
/// </summary>
public static class TaskVocabulary
{
    private const int ProblemsPerTask = 300;
    private const int Seed = 4242;

    private static readonly Lazy<string> Text = new(Build);

    public static string MergeText => Text.Value;

    private static string Build()
    {
        var sb = new StringBuilder();
        foreach (string name in TaskRegistry.Names)
        {
            IReasoningTask task = TaskRegistry.Get(name);
            var rng = new Random(Seed);
            for (int i = 0; i < ProblemsPerTask; i++)
            {
                Problem p = task.Generate(rng);
                sb.Append(p.Question).Append('\n').Append(ResponseFormat.Compose(task.Teach(p))).Append('\n');
            }
        }

        return sb.ToString();
    }
}
