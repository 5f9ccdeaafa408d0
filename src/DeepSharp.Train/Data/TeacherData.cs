using DeepSharp.Reasoning;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Train.Data;

/// <summary>Cold-start data: problems from the tasks' generators, solved step by step by their programmatic teachers.</summary>
public static class TeacherData
{
    /// <summary><paramref name="perTask"/> traces of each task, interleaved, from a seeded generator.</summary>
    public static List<Trace> Generate(IReadOnlyList<IReasoningTask> tasks, int perTask, int seed)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var rngs = tasks.Select((_, i) => new Random(seed + 7919 * i)).ToArray();
        var traces = new List<Trace>(perTask * tasks.Count);
        for (int n = 0; n < perTask; n++)
        {
            for (int t = 0; t < tasks.Count; t++)
            {
                Problem p = tasks[t].Generate(rngs[t]);
                traces.Add(new Trace(p.Question, ResponseFormat.Compose(tasks[t].Teach(p))));
            }
        }

        return traces;
    }
}
