namespace DeepSharp.Reasoning.Evaluation;

/// <summary>Why a sample counts as wrong before its answer is even checked.</summary>
public static class SampleFlags
{
    /// <summary>The reasoning never reached &lt;/think&gt; (ran out of tokens or stopped).</summary>
    public const string Unclosed = "unclosed_think";

    /// <summary>Nothing answer-like after &lt;/think&gt;.</summary>
    public const string NoAnswer = "no_answer";

    /// <summary>The model or endpoint failed for this sample (after retries); the message follows a colon.</summary>
    public const string Error = "error";
}

/// <summary>One graded sample of one problem.</summary>
/// <remarks>Extracted: The answer found in the response, or null.</remarks>
/// <remarks>Flag: Null for a well-formed response, else one of <see cref="SampleFlags"/>.</remarks>
/// <remarks>CompletionTokens: Tokens generated, when the model or endpoint reports them.</remarks>
public sealed record SampleResult(
    bool Correct, string? Extracted, string? Flag, int ReasoningChars, int AnswerChars, int? CompletionTokens);

/// <summary>All samples of one problem and the majority-vote answer.</summary>
public sealed record ProblemResult(string Id, string Reference, IReadOnlyList<SampleResult> Samples, string? MajorityAnswer, bool MajorityCorrect)
{
    /// <summary>Fraction of correct samples (this problem's pass@1 estimate).</summary>
    public double PassRate => Samples.Count == 0 ? 0 : Samples.Count(s => s.Correct) / (double)Samples.Count;
}
