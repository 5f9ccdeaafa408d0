using System.Numerics;

namespace DeepSharp.Reasoning.Tasks;

/// <summary>The value of an expression and the number literals it used, in order of appearance.</summary>
internal sealed record EvaluatedExpression(Rational Value, IReadOnlyList<BigInteger> Literals);

/// <summary>
/// Recursive-descent evaluator for + - * / ( ) and unary minus over non-negative integer literals, exact (rational).
/// Accepts the multiplication and division signs × · ÷ as well. Returns null for anything else or a division by zero.
/// </summary>
internal static class ArithmeticExpression
{
    public static EvaluatedExpression? TryEvaluate(string text)
    {
        var parser = new Parser(text);
        try
        {
            var value = parser.ParseSum();
            return parser.AtEnd ? new EvaluatedExpression(value, parser.Literals) : null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (DivideByZeroException)
        {
            return null;
        }
    }

    private sealed class Parser(string text)
    {
        private int _pos;

        public List<BigInteger> Literals { get; } = [];

        public bool AtEnd
        {
            get { SkipSpaces(); return _pos == text.Length; }
        }

        // sum := product (('+' | '-') product)*
        public Rational ParseSum()
        {
            var value = ParseProduct();
            while (true)
            {
                if (TryTake('+', '+') is not null)
                    value += ParseProduct();
                else if (TryTake('-', '−') is not null)
                    value -= ParseProduct();
                else
                    return value;
            }
        }

        // product := unary (('*' | '/') unary)*
        private Rational ParseProduct()
        {
            var value = ParseUnary();
            while (true)
            {
                if (TryTake('*', '×') is not null || TryTake('·', 'x') is not null)
                    value *= ParseUnary();
                else if (TryTake('/', '÷') is not null)
                    value /= ParseUnary();
                else
                    return value;
            }
        }

        private Rational ParseUnary() => TryTake('-', '−') is not null ? -ParseUnary() : ParseAtom();

        private Rational ParseAtom()
        {
            if (TryTake('(', '(') is not null)
            {
                var inner = ParseSum();
                if (TryTake(')', ')') is null)
                    throw new FormatException("missing )");
                return inner;
            }
            SkipSpaces();
            int start = _pos;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                _pos++;
            if (start == _pos)
                throw new FormatException($"expected a number at {start}");
            var literal = BigInteger.Parse(text.AsSpan(start, _pos - start), provider: System.Globalization.CultureInfo.InvariantCulture);
            Literals.Add(literal);
            return Rational.FromInteger(literal);
        }

        private char? TryTake(char a, char b)
        {
            SkipSpaces();
            if (_pos < text.Length && (text[_pos] == a || text[_pos] == b))
                return text[_pos++];
            return null;
        }

        private void SkipSpaces()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
                _pos++;
        }
    }
}
