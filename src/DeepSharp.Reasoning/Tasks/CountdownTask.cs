using System.Globalization;
using System.Text.RegularExpressions;
using DeepSharp.Reasoning.Datasets;

namespace DeepSharp.Reasoning.Tasks;

/// <summary>
/// Countdown as TinyZero poses it: reach the target with an expression that uses each given number exactly once and
/// + - * /. Generated problems have 3 or 4 numbers in 1..99 and a reachable target in 10..100 (the held-out file's
/// ranges); the held-out set is ../shared/corpora/eval/countdown/test.jsonl. The answer is the expression.
/// </summary>
public sealed partial class CountdownTask(string? heldOutPath = null) : IReasoningTask
{
    private readonly Lazy<IReadOnlyList<Problem>> _heldOut = new(() => LoadHeldOut(heldOutPath));

    public string Name => "countdown";

    public Problem Generate(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        while (true)
        {
            int count = rng.Next(3, 5);
            var numbers = Enumerable.Range(0, count).Select(_ => (long)rng.Next(1, 100)).ToArray();
            var targets = CountdownSolver.Reachable(numbers).Where(v => v is >= 10 and <= 100).ToArray();
            if (targets.Length == 0)
                continue;
            var problem = MakeProblem(StableHash.Id("countdown", string.Join(',', numbers)), numbers, targets[rng.Next(targets.Length)]);
            if (!StableHash.IsHeldOut(problem.Question))
                return problem;
        }
    }

    public IReadOnlyList<Problem> HeldOut(int limit) => [.. _heldOut.Value.Take(limit)];

    public Solution Teach(Problem p)
    {
        var (numbers, target) = Parse(p);
        var steps = CountdownSolver.Solve(numbers, target)
            ?? throw new ArgumentException($"no solution for {p.Question}", nameof(p));
        var lines = new List<string> { $"numbers {Join(numbers)}, target {target}" };
        foreach (var step in steps)
        {
            string left = step.Remaining.Count > 1 ? $", left {Join(step.Remaining)}" : "";
            lines.Add($"{step.Left} {step.Op} {step.Right} = {step.Result}{left}");
        }
        string expression = CountdownExpression.From(numbers, steps);
        lines.Add($"{expression} = {target}");
        return new Solution(string.Join('\n', lines), expression);
    }

    public bool IsCorrect(Problem p, string finalAnswer)
    {
        var (numbers, target) = Parse(p);
        string text = AnswerText.Unwrap(finalAnswer ?? "");
        int equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals >= 0)
            text = text[..equals];
        var evaluated = ArithmeticExpression.TryEvaluate(text);
        if (evaluated is null || !evaluated.Value.Equals(Rational.FromInteger(target)))
            return false;
        return evaluated.Literals.Select(l => (long)l).Order().SequenceEqual(numbers.Order());
    }

    /// <summary>The numbers and target of a question written by this task.</summary>
    internal static (long[] Numbers, long Target) Parse(Problem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var match = QuestionPattern().Match(p.Question);
        if (!match.Success)
            throw new ArgumentException($"not a countdown question: {p.Question}", nameof(p));
        var numbers = match.Groups["nums"].Value.Split(',', StringSplitOptions.TrimEntries)
            .Select(n => long.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        return (numbers, long.Parse(match.Groups["target"].Value, CultureInfo.InvariantCulture));
    }

    internal static Problem MakeProblem(string id, IReadOnlyList<long> numbers, long target)
    {
        string question = $"Using the numbers [{string.Join(", ", numbers)}], create an equation that equals {target}. "
            + "You can use basic arithmetic operations (+, -, *, /) and each number exactly once.";
        var steps = CountdownSolver.Solve(numbers, target);
        string answer = steps is null ? "" : CountdownExpression.From(numbers, steps);
        return new Problem(id, question, answer);
    }

    private static IReadOnlyList<Problem> LoadHeldOut(string? path)
    {
        path ??= CorporaLocator.FindEvalFile(Path.Combine("countdown", "test.jsonl"))
            ?? throw new FileNotFoundException(
                "countdown held-out set not found: set DEEPSHARP_CORPORA to the shared/corpora folder");
        return [.. CountdownDataset.Load(path)];
    }

    private static string Join(IEnumerable<long> numbers) => string.Join(' ', numbers);

    [GeneratedRegex(@"\[(?<nums>[0-9 ,]+)\].*?equals (?<target>[0-9]+)")]
    private static partial Regex QuestionPattern();
}
