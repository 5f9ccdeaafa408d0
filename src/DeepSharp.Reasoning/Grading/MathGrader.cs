using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepSharp.Reasoning.Grading;

/// <summary>
/// Answer equivalence as the MATH/GSM8K graders (Hendrycks' <c>is_equiv</c>, the Qwen2.5-Math evaluator) do it:
/// normalise both strings (LaTeX spacing, \left/\right, \dfrac, units, degrees, dollars, percent, thousands
/// separators, "x = " prefixes), then compare the strings or, when both are numbers, their values.
/// </summary>
public static partial class MathGrader
{
    /// <summary>Relative tolerance of the numeric comparison (Qwen2.5-Math uses 1e-4 with math.isclose).</summary>
    public const double RelativeTolerance = 1e-4;

    public static bool IsEquivalent(string? predicted, string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (predicted is null)
            return false;
        string a = Normalize(predicted), b = Normalize(reference);
        if (a.Length == 0)
            return false;
        if (a == b)
            return true;
        return TryNumber(a, out double x) && TryNumber(b, out double y)
            && Math.Abs(x - y) <= RelativeTolerance * Math.Max(1.0, Math.Max(Math.Abs(x), Math.Abs(y)));
    }

    /// <summary>The canonical form used for comparison and for majority voting.</summary>
    public static string Normalize(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        string s = answer.Replace("\n", "", StringComparison.Ordinal).Trim();
        s = Boxed.Last(s) ?? s;
        foreach (var (from, to) in Replacements)
            s = s.Replace(from, to, StringComparison.Ordinal);
        s = RemoveUnits(s);
        s = TextCommand().Replace(s, "${body}");
        s = s.Trim().TrimEnd('.');
        s = VariablePrefix().Replace(s, "");
        s = FixFracShorthand().Replace(s, @"\frac{${a}}{${b}}");
        s = FixFracDenominator().Replace(s, @"\frac{${a}}{${b}}");
        s = FixSqrtShorthand().Replace(s, @"\sqrt{${a}}");
        s = s.Replace(" ", "", StringComparison.Ordinal);
        if (ThousandsNumber().IsMatch(s))
            s = s.Replace(",", "", StringComparison.Ordinal);
        s = LeadingDot().Replace(s, "${pre}0.");
        return s;
    }

    /// <summary>The value of a normalised plain number, a/b, or \frac{a}{b} (optionally negative).</summary>
    public static bool TryNumber(string normalized, out double value)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        value = 0;
        var frac = FracNumber().Match(normalized);
        if (frac.Success)
        {
            double num = double.Parse(frac.Groups["a"].Value, CultureInfo.InvariantCulture);
            double den = double.Parse(frac.Groups["b"].Value, CultureInfo.InvariantCulture);
            value = (frac.Groups["neg"].Success ? -num : num) / den;
            return den != 0;
        }
        return double.TryParse(normalized, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    // Order matters: \dfrac before \frac forms, "\%" before "%", "^{\circ}" before "^\circ".
    private static readonly (string From, string To)[] Replacements =
    [
        ("\\!", ""), ("\\,", ""), ("\\;", ""), ("\\:", ""), ("\\ ", " "), ("~", " "),
        ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\left", ""), ("\\right", ""),
        ("^{\\circ}", ""), ("^\\circ", ""), ("\\circ", ""), ("°", ""),
        ("\\$", ""), ("$", ""), ("\\%", ""), ("%", ""), ("\\displaystyle", ""),
    ];

    // "5.4 \text{ cents}" → "5.4", "\frac{270}7\text{ degrees}" → "\frac{270}7": a \text{…} after a value is a unit;
    // a bare unit word after a number ("18 dollars", "12 cm") too.
    private static string RemoveUnits(string s)
    {
        var unit = TrailingTextUnit().Match(s);
        if (unit.Success && unit.Groups["value"].Value.Trim().Length > 0)
            s = unit.Groups["value"].Value;
        var word = TrailingWordUnit().Match(s);
        return word.Success ? word.Groups["value"].Value : s;
    }

    [GeneratedRegex(@"^(?<value>.*?[0-9}])\s*\\(text|mbox|mathrm)\{\s*[a-zA-Z ]+\}$")]
    private static partial Regex TrailingTextUnit();

    [GeneratedRegex(@"^(?<value>-?[0-9][0-9,]*(\.[0-9]+)?)\s*[a-zA-Z][a-zA-Z ]*$")]
    private static partial Regex TrailingWordUnit();

    [GeneratedRegex(@"\\(text|mbox|mathrm|textbf)\{(?<body>[^{}]*)\}")]
    private static partial Regex TextCommand();

    [GeneratedRegex(@"^[a-zA-Z]\s*=\s*")]
    private static partial Regex VariablePrefix();

    [GeneratedRegex(@"\\frac(?<a>[0-9a-zA-Z])(?<b>[0-9a-zA-Z])")]
    private static partial Regex FixFracShorthand();

    [GeneratedRegex(@"\\frac\{(?<a>[^{}]+)\}(?<b>[0-9a-zA-Z])")]
    private static partial Regex FixFracDenominator();

    [GeneratedRegex(@"\\sqrt(?<a>[0-9a-zA-Z])")]
    private static partial Regex FixSqrtShorthand();

    [GeneratedRegex(@"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")]
    private static partial Regex ThousandsNumber();

    [GeneratedRegex(@"(?<pre>^|[^0-9])\.(?=[0-9])")]
    private static partial Regex LeadingDot();

    [GeneratedRegex(@"^(?<neg>-)?\\frac\{(?<a>[0-9.]+)\}\{(?<b>[0-9.]+)\}$|^(?<neg>-)?(?<a>[0-9.]+)/(?<b>[0-9.]+)$")]
    private static partial Regex FracNumber();
}
