using System.Text.RegularExpressions;

namespace DeepSharp.Reasoning.Grading;

/// <summary>
/// Finds the final answer in a response's answer text the way maths graders do: the last <c>\boxed{}</c>, else a
/// GSM8K-style <c>#### x</c>, else "the answer is x", else the last number.
/// </summary>
public static partial class MathAnswer
{
    /// <summary>The extracted answer, or null when the text holds none.</summary>
    public static string? Extract(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        string? boxed = Boxed.Last(text);
        if (boxed is not null)
            return boxed.Trim();
        int hashes = text.LastIndexOf("####", StringComparison.Ordinal);
        if (hashes >= 0)
            return FirstLine(text[(hashes + 4)..]);
        var stated = AnswerIsPattern().Matches(text);
        if (stated.Count > 0)
            return stated[^1].Groups["answer"].Value.Trim().TrimEnd('.');
        var numbers = NumberPattern().Matches(text);
        return numbers.Count > 0 ? numbers[^1].Value : null;
    }

    /// <summary>The reference answer of a GSM8K solution (the text after <c>#### </c>).</summary>
    public static string? Gsm8kReference(string solution)
    {
        ArgumentNullException.ThrowIfNull(solution);
        int hashes = solution.LastIndexOf("####", StringComparison.Ordinal);
        return hashes < 0 ? null : FirstLine(solution[(hashes + 4)..]);
    }

    private static string? FirstLine(string text)
    {
        string line = text.TrimStart().Split('\n')[0].Trim();
        return line.Length == 0 ? null : line;
    }

    [GeneratedRegex(@"answer is:?\s*(?<answer>[^\n]+)", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerIsPattern();

    [GeneratedRegex(@"-?\$?\d[\d,]*(\.\d+)?")]
    private static partial Regex NumberPattern();
}
