using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning;

/// <summary>A response split into its reasoning and final answer; null parts are absent or empty.</summary>
/// <param name="Reasoning">The text before &lt;/think&gt; (all of it when never closed).</param>
/// <param name="Answer">The text after &lt;/think&gt;.</param>
/// <param name="ThinkClosed">Whether the reasoning was closed by &lt;/think&gt;.</param>
public sealed record ParsedResponse(string? Reasoning, string? Answer, bool ThinkClosed);

/// <summary>
/// The assistant text as generated after the chat template's generation prompt (R1 templates may already end with
/// "&lt;think&gt;\n", so the opening tag is optional): "&lt;think&gt;\n{reasoning}\n&lt;/think&gt;\n\n{answer}".
/// </summary>
public static class ResponseFormat
{
    private const string Open = "<think>";
    private const string Close = "</think>";

    public static string Compose(Solution s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return $"{Open}\n{s.Reasoning}\n{Close}\n\n{s.Answer}";
    }

    public static ParsedResponse Parse(string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        string text = response.TrimStart();
        if (text.StartsWith(Open, StringComparison.Ordinal))
            text = text[Open.Length..];
        int close = text.IndexOf(Close, StringComparison.Ordinal);
        if (close < 0)
            return new ParsedResponse(NullIfEmpty(text), null, ThinkClosed: false);
        string reasoning = text[..close];
        string answer = text[(close + Close.Length)..];
        return new ParsedResponse(NullIfEmpty(reasoning), NullIfEmpty(answer), ThinkClosed: true);
    }

    private static string? NullIfEmpty(string text)
    {
        string trimmed = text.Trim();
        return trimmed.Length == 0 ? null : trimmed;
    }
}

/// <summary>The rule-based rewards of R1-Zero: format (reasoning closed, then an answer) and accuracy.</summary>
public static class Rewards
{
    /// <summary>1 when the reasoning is closed by &lt;/think&gt; and a non-empty answer follows, else 0.</summary>
    public static double Format(string response)
    {
        var parsed = ResponseFormat.Parse(response);
        return parsed.ThinkClosed && parsed.Answer is not null ? 1 : 0;
    }

    /// <summary>1 when the parsed final answer is correct for the problem, else 0 (no answer counts as wrong).</summary>
    public static double Accuracy(IReasoningTask task, Problem p, string response)
    {
        ArgumentNullException.ThrowIfNull(task);
        var parsed = ResponseFormat.Parse(response);
        return parsed.ThinkClosed && parsed.Answer is not null && task.IsCorrect(p, parsed.Answer) ? 1 : 0;
    }
}
