using System.Globalization;
using System.Numerics;

namespace DeepSharp.Reasoning.Tasks;

/// <summary>Sizes of the generated arithmetic problems.</summary>
/// <param name="MaxAddDigits">Largest operand length for + and - (at least 2).</param>
/// <param name="MaxMultiplicandDigits">Largest length of the first factor of a product (at least 2).</param>
/// <param name="MaxMultiplierDigits">Largest length of the second factor (at least 1).</param>
/// <param name="MaxExpressionOperand">Largest literal of a multi-step expression; products in one are at most 12 × 12.</param>
public sealed record ArithmeticOptions(
    int MaxAddDigits = 4, int MaxMultiplicandDigits = 3, int MaxMultiplierDigits = 2, int MaxExpressionOperand = 20);

/// <summary>
/// Multi-digit addition, subtraction (results may be negative), multiplication and multi-step expressions with
/// precedence and parentheses. Questions read "What is 347 + 58?"; the answer is the integer value.
/// The teacher writes schoolbook column steps for two-operand problems and one operation per line for expressions.
/// </summary>
public sealed class ArithmeticTask(ArithmeticOptions? options = null) : IReasoningTask
{
    private const int HeldOutSeed = 20250122;
    private readonly ArithmeticOptions _options = options ?? new ArithmeticOptions();

    public string Name => "arithmetic";

    public Problem Generate(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        while (true)
        {
            string expression = RandomExpression(rng);
            string question = QuestionFor(expression);
            if (!StableHash.IsHeldOut(question))
                return MakeProblem(expression);
        }
    }

    public IReadOnlyList<Problem> HeldOut(int limit)
    {
        var rng = new Random(HeldOutSeed);
        var problems = new List<Problem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (problems.Count < limit)
        {
            string expression = RandomExpression(rng);
            if (StableHash.IsHeldOut(QuestionFor(expression)) && seen.Add(expression))
                problems.Add(MakeProblem(expression));
        }
        return problems;
    }

    public Solution Teach(Problem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        string expression = ExpressionOf(p.Question);
        var tokens = StepwiseExpression.Tokenize(expression);
        var lines = new List<string>();
        BigInteger result;
        if (tokens.Count == 3)
        {
            var a = BigInteger.Parse(tokens[0], CultureInfo.InvariantCulture);
            var b = BigInteger.Parse(tokens[2], CultureInfo.InvariantCulture);
            result = tokens[1] switch
            {
                "+" => ColumnArithmetic.Add(a, b, lines),
                "-" => ColumnArithmetic.Subtract(a, b, lines),
                "*" => ColumnArithmetic.Multiply(a, b, lines),
                _ => throw new ArgumentException($"no column method for {expression}", nameof(p)),
            };
        }
        else
        {
            lines.Add(expression);
            long last = 0;
            foreach (var step in StepwiseExpression.Evaluate(expression))
            {
                // Sums and differences of multi-digit numbers get the column method too: a tiny model learns
                // one-digit facts and carries, not "132 + 19 = 151" in one go. Single digits and table products stay facts.
                if (step.Op == '+' && Math.Max(step.Left, step.Right) >= 10)
                    ColumnArithmetic.Add(step.Left, step.Right, lines);
                else if (step.Op == '-' && Math.Max(step.Left, step.Right) >= 10)
                    ColumnArithmetic.Subtract(step.Left, step.Right, lines);
                else
                    lines.Add($"{step.Left} {step.Op} {step.Right} = {step.Result}");
                if (step.Rewritten.Contains(' ', StringComparison.Ordinal))
                    lines.Add(step.Rewritten);
                last = step.Result;
            }
            result = last;
        }
        return new Solution(string.Join('\n', lines), result.ToString(CultureInfo.InvariantCulture));
    }

    public bool IsCorrect(Problem p, string finalAnswer)
    {
        ArgumentNullException.ThrowIfNull(p);
        return AnswerText.TryParseInteger(finalAnswer, out var value)
            && value == BigInteger.Parse(p.Answer, CultureInfo.InvariantCulture);
    }

    /// <summary>The expression inside a question of this task ("What is 3 + 4?" → "3 + 4").</summary>
    internal static string ExpressionOf(string question)
    {
        const string Prefix = "What is ";
        if (!question.StartsWith(Prefix, StringComparison.Ordinal) || !question.EndsWith('?'))
            throw new ArgumentException($"not an arithmetic question: {question}", nameof(question));
        return question[Prefix.Length..^1];
    }

    private static string QuestionFor(string expression) => $"What is {expression}?";

    private static Problem MakeProblem(string expression)
    {
        string question = QuestionFor(expression);
        var value = ArithmeticExpression.TryEvaluate(expression)!.Value;
        return new Problem(StableHash.Id("arithmetic", question), question, value.ToString());
    }

    private string RandomExpression(Random rng)
    {
        int kind = rng.Next(4);
        return kind switch
        {
            0 => $"{RandomNumber(rng, 2, _options.MaxAddDigits)} + {RandomNumber(rng, 1, _options.MaxAddDigits)}",
            1 => $"{RandomNumber(rng, 2, _options.MaxAddDigits)} - {RandomNumber(rng, 1, _options.MaxAddDigits)}",
            2 => $"{RandomNumber(rng, 2, _options.MaxMultiplicandDigits)} * {RandomNumber(rng, 1, _options.MaxMultiplierDigits)}",
            _ => RandomMultiStep(rng),
        };
    }

    // A number whose length is uniform in [minDigits, maxDigits] (so short and long operands are equally common).
    private static long RandomNumber(Random rng, int minDigits, int maxDigits)
    {
        int digits = rng.Next(minDigits, Math.Max(minDigits, maxDigits) + 1);
        long low = digits == 1 ? 1 : (long)Math.Pow(10, digits - 1);
        return rng.NextInt64(low, (long)Math.Pow(10, digits));
    }

    // 3 or 4 small operands with + - *, sometimes one parenthesised group; resampled until every step stays in
    // 0..999 and every product is within the 12 × 12 table, so each line is a fact a tiny model can learn.
    private string RandomMultiStep(Random rng)
    {
        while (true)
        {
            int count = rng.Next(3, 5);
            var parts = new List<string>();
            int groupStart = rng.Next(2) == 0 ? rng.Next(count - 1) : -1;
            int groupEnd = groupStart < 0 ? -1 : rng.Next(groupStart + 1, count);
            bool wholeGroup = groupStart == 0 && groupEnd == count - 1;
            for (int i = 0; i < count; i++)
            {
                if (i > 0)
                    parts.Add("+-*"[rng.Next(3)].ToString());
                string number = rng.Next(1, _options.MaxExpressionOperand + 1).ToString(CultureInfo.InvariantCulture);
                parts.Add(i == groupStart && !wholeGroup ? "(" + number : number);
                if (i == groupEnd && !wholeGroup)
                    parts[^1] += ")";
            }
            string expression = string.Join(' ', parts);
            if (StepwiseExpression.Evaluate(expression).All(IsLearnable))
                return expression;
        }
    }

    private static bool IsLearnable(StepwiseExpression.Step step) =>
        step.Result is >= 0 and <= 999 && (step.Op != '*' || (step.Left <= 12 && step.Right <= 12));
}
