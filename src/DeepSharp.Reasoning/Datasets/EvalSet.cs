using DeepSharp.Reasoning.Grading;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Datasets;

/// <summary>Problems plus how to prompt for them, find the answer in a response and check it.</summary>
public abstract class EvalSet(string name, IReadOnlyList<Problem> problems)
{
    public string Name { get; } = name;

    public IReadOnlyList<Problem> Problems { get; } = problems;

    /// <summary>The user message sent to the model.</summary>
    public abstract string Prompt(Problem p);

    /// <summary>The final answer inside a response's answer text (after &lt;/think&gt;), or null.</summary>
    public abstract string? ExtractAnswer(string answerText);

    /// <summary>Whether an extracted answer is correct.</summary>
    public abstract bool IsCorrect(Problem p, string extracted);

    /// <summary>The key under which equal answers are counted together for the majority vote (cons@k).</summary>
    public virtual string VoteKey(string extracted) => extracted.Trim();
}

/// <summary>GSM8K, MATH-500, AIME: boxed answers graded by <see cref="MathGrader"/>.</summary>
public sealed class MathEvalSet(string name, IReadOnlyList<Problem> problems) : EvalSet(name, problems)
{
    /// <summary>The instruction the R1 model card recommends for maths problems.</summary>
    public const string Instruction = "Please reason step by step, and put your final answer within \\boxed{}.";

    public override string Prompt(Problem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return $"{p.Question}\n{Instruction}";
    }

    public override string? ExtractAnswer(string answerText) => MathAnswer.Extract(answerText);

    public override bool IsCorrect(Problem p, string extracted)
    {
        ArgumentNullException.ThrowIfNull(p);
        return MathGrader.IsEquivalent(extracted, p.Answer);
    }

    public override string VoteKey(string extracted) =>
        MathGrader.TryNumber(MathGrader.Normalize(extracted), out double v)
            ? v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)
            : MathGrader.Normalize(extracted);
}

/// <summary>A reasoning task's problems: the question as the prompt, the task's own checker.</summary>
public sealed class TaskEvalSet(IReasoningTask task, IReadOnlyList<Problem> problems) : EvalSet(task?.Name ?? "", problems)
{
    public IReasoningTask Task { get; } = task ?? throw new ArgumentNullException(nameof(task));

    public override string Prompt(Problem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.Question;
    }

    public override string? ExtractAnswer(string answerText)
    {
        string text = AnswerText.Unwrap(answerText ?? "");
        return text.Length == 0 ? null : text;
    }

    public override bool IsCorrect(Problem p, string extracted) => Task.IsCorrect(p, extracted);
}
