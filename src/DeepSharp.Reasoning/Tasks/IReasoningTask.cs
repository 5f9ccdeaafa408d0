namespace DeepSharp.Reasoning.Tasks;

/// <summary>One problem of a task or dataset. <paramref name="Answer"/> is the canonical reference answer text.</summary>
public sealed record Problem(string Id, string Question, string Answer);

/// <summary>A teacher's worked solution: the reasoning (no &lt;think&gt; tags) and the final answer.</summary>
public sealed record Solution(string Reasoning, string Answer);

/// <summary>
/// A task with a verifiable reward: a seeded problem generator, a programmatic teacher for cold-start SFT, an
/// accuracy checker and a held-out evaluation set disjoint from what <see cref="Generate"/> produces.
/// </summary>
public interface IReasoningTask
{
    /// <summary>The registry name ("arithmetic", "countdown").</summary>
    string Name { get; }

    /// <summary>A training problem; deterministic given the state of <paramref name="rng"/>; never a held-out one.</summary>
    Problem Generate(Random rng);

    /// <summary>Correct, short, regular step-by-step reasoning and the final answer.</summary>
    Solution Teach(Problem p);

    /// <summary>Whether an extracted final answer solves the problem.</summary>
    bool IsCorrect(Problem p, string finalAnswer);

    /// <summary>The first <paramref name="limit"/> problems of the fixed held-out set.</summary>
    IReadOnlyList<Problem> HeldOut(int limit);
}
