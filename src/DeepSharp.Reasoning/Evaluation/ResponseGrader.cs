using DeepSharp.Reasoning.Datasets;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Evaluation;

/// <summary>Grades responses (flagging unclosed reasoning and missing answers as wrong) and takes the majority vote.</summary>
public static class ResponseGrader
{
    public static SampleResult Grade(EvalSet set, Problem p, string response, int? completionTokens = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        var parsed = ResponseFormat.Parse(response);
        int reasoningChars = parsed.Reasoning?.Length ?? 0, answerChars = parsed.Answer?.Length ?? 0;
        if (!parsed.ThinkClosed)
            return new SampleResult(false, null, SampleFlags.Unclosed, reasoningChars, answerChars, completionTokens);
        string? extracted = parsed.Answer is null ? null : set.ExtractAnswer(parsed.Answer);
        if (extracted is null)
            return new SampleResult(false, null, SampleFlags.NoAnswer, reasoningChars, answerChars, completionTokens);
        return new SampleResult(set.IsCorrect(p, extracted), extracted, null, reasoningChars, answerChars, completionTokens);
    }

    /// <summary>A sample that failed to generate; it counts as wrong.</summary>
    public static SampleResult Failed(string message) =>
        new(false, null, $"{SampleFlags.Error}: {message}", 0, 0, null);

    /// <summary>
    /// The most frequent answer among the samples (by <see cref="EvalSet.VoteKey"/>; ties go to the answer seen
    /// first; samples without an answer do not vote) and whether it is correct.
    /// </summary>
    public static ProblemResult Combine(EvalSet set, Problem p, IReadOnlyList<SampleResult> samples)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(samples);
        var votes = samples.Where(s => s.Extracted is not null)
            .GroupBy(s => set.VoteKey(s.Extracted!))
            .Select((g, order) => (Group: g, Order: order))
            .OrderByDescending(x => x.Group.Count()).ThenBy(x => x.Order)
            .FirstOrDefault();
        if (votes.Group is null)
            return new ProblemResult(p.Id, p.Answer, samples, null, false);
        var winner = votes.Group.First();
        return new ProblemResult(p.Id, p.Answer, samples, winner.Extracted, winner.Correct);
    }
}
