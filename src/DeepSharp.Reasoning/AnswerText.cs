using System.Globalization;
using System.Numerics;

namespace DeepSharp.Reasoning;

/// <summary>Light clean-up of a final answer before a task compares it: \boxed{}, &lt;answer&gt; tags, commas.</summary>
internal static class AnswerText
{
    public static bool TryParseInteger(string? answer, out BigInteger value)
    {
        value = default;
        if (answer is null)
            return false;
        string text = Unwrap(answer).Replace(",", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal)
            .TrimEnd('.').Replace('−', '-');
        return BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The content of the last \boxed{} or &lt;answer&gt;…&lt;/answer&gt; if present, else the trimmed text.</summary>
    public static string Unwrap(string answer)
    {
        string text = answer.Trim();
        string? boxed = Grading.Boxed.Last(text);
        if (boxed is not null)
            return boxed.Trim();
        int open = text.LastIndexOf("<answer>", StringComparison.Ordinal);
        if (open >= 0)
        {
            int close = text.IndexOf("</answer>", open, StringComparison.Ordinal);
            text = close >= 0 ? text[(open + 8)..close] : text[(open + 8)..];
        }
        return text.Trim().Trim('$').Trim();
    }
}
