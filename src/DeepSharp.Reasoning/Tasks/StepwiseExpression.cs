using System.Globalization;

namespace DeepSharp.Reasoning.Tasks;

/// <summary>
/// Evaluates an integer expression one operation at a time in the order precedence dictates (innermost
/// parentheses first, then * and / left to right, then + and - left to right), rewriting the expression after each
/// step: "12 + 7 = 19" / "19 * 3 - 5". Every intermediate value is reported so generators can bound them.
/// </summary>
internal static class StepwiseExpression
{
    public sealed record Step(long Left, char Op, long Right, long Result, string Rewritten);

    public static List<string> Tokenize(string expression)
    {
        var tokens = new List<string>();
        for (int i = 0; i < expression.Length; i++)
        {
            char c = expression[i];
            if (char.IsWhiteSpace(c))
                continue;
            if (char.IsAsciiDigit(c))
            {
                int start = i;
                while (i + 1 < expression.Length && char.IsAsciiDigit(expression[i + 1]))
                    i++;
                tokens.Add(expression[start..(i + 1)]);
            }
            else if ("+-*/()".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(c.ToString());
            }
            else
            {
                throw new FormatException($"unexpected '{c}' in {expression}");
            }
        }
        return tokens;
    }

    public static string Render(IReadOnlyList<string> tokens)
    {
        var text = new System.Text.StringBuilder();
        foreach (string t in tokens)
        {
            if (text.Length > 0 && t != ")" && text[^1] != '(')
                text.Append(' ');
            text.Append(t);
        }
        return text.ToString();
    }

    /// <summary>All steps to reduce <paramref name="expression"/> to one number (non-negative literals only).</summary>
    public static List<Step> Evaluate(string expression)
    {
        var tokens = Tokenize(expression);
        var steps = new List<Step>();
        while (tokens.Count > 1)
        {
            var (start, end) = InnermostGroup(tokens);
            int opIndex = FirstOperator(tokens, start, end, "*/");
            if (opIndex < 0)
                opIndex = FirstOperator(tokens, start, end, "+-");
            long left = long.Parse(tokens[opIndex - 1], CultureInfo.InvariantCulture);
            long right = long.Parse(tokens[opIndex + 1], CultureInfo.InvariantCulture);
            char op = tokens[opIndex][0];
            long result = Apply(left, op, right);
            tokens.RemoveRange(opIndex - 1, 3);
            tokens.Insert(opIndex - 1, result.ToString(CultureInfo.InvariantCulture));
            RemoveParenthesesAroundSingleNumbers(tokens);
            steps.Add(new Step(left, op, right, result, Render(tokens)));
        }
        return steps;
    }

    private static long Apply(long left, char op, long right) => op switch
    {
        '+' => left + right,
        '-' => left - right,
        '*' => left * right,
        '/' when right != 0 && left % right == 0 => left / right,
        _ => throw new ArgumentException($"{left} {op} {right} is not an exact integer step"),
    };

    // The token range [start, end) inside the innermost parentheses, or the whole expression.
    private static (int Start, int End) InnermostGroup(List<string> tokens)
    {
        int open = -1;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] == "(")
                open = i;
            else if (tokens[i] == ")")
                return (open + 1, i);
        }
        return (0, tokens.Count);
    }

    private static int FirstOperator(List<string> tokens, int start, int end, string operators)
    {
        for (int i = start; i < end; i++)
        {
            if (tokens[i].Length == 1 && operators.Contains(tokens[i][0], StringComparison.Ordinal))
                return i;
        }
        return -1;
    }

    private static void RemoveParenthesesAroundSingleNumbers(List<string> tokens)
    {
        for (int i = 0; i + 2 < tokens.Count; i++)
        {
            if (tokens[i] == "(" && tokens[i + 2] == ")")
            {
                tokens.RemoveAt(i + 2);
                tokens.RemoveAt(i);
            }
        }
    }
}
