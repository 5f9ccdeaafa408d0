using System.Globalization;
using System.Numerics;

namespace DeepSharp.Reasoning.Tasks;

/// <summary>
/// Schoolbook column methods written out one digit per line — the regular, local steps a tiny model can learn:
/// each line needs only one-digit facts and the carry from the line before. Every column line ends with the digits
/// written so far ("so far 05"): the new digit in front of the previous line's, so the final line copies one string
/// from the line above instead of gathering digits scattered over the lines in reverse order.
/// </summary>
internal static class ColumnArithmetic
{
    private static string S(BigInteger v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>a + b for a, b ≥ 0: "7 + 8 + 0 = 15, write 5 carry 1, so far 5" per column, then "a + b = s".</summary>
    public static BigInteger Add(BigInteger a, BigInteger b, List<string> lines)
    {
        string x = S(a), y = S(b);
        int width = Math.Max(x.Length, y.Length);
        int carry = 0;
        string soFar = "";
        for (int i = 0; i < width; i++)
        {
            int dx = DigitFromRight(x, i), dy = DigitFromRight(y, i);
            int sum = dx + dy + carry;
            soFar = (char)('0' + sum % 10) + soFar;
            lines.Add($"{dx} + {dy} + {carry} = {sum}, write {sum % 10} carry {sum / 10}, so far {soFar}");
            carry = sum / 10;
        }
        if (carry > 0)
            lines.Add($"write carry {carry}, so far {carry}{soFar}");
        var result = a + b;
        lines.Add($"{x} + {y} = {S(result)}");
        return result;
    }

    /// <summary>a − b for any sign of the result: borrow columns on the larger minus the smaller.</summary>
    public static BigInteger Subtract(BigInteger a, BigInteger b, List<string> lines)
    {
        if (a < b)
        {
            lines.Add($"{S(a)} < {S(b)}, so {S(a)} - {S(b)} = -({S(b)} - {S(a)})");
            var flipped = SubtractColumns(b, a, lines);
            lines.Add($"{S(a)} - {S(b)} = {S(-flipped)}");
            return -flipped;
        }
        return SubtractColumns(a, b, lines);
    }

    private static BigInteger SubtractColumns(BigInteger a, BigInteger b, List<string> lines)
    {
        string x = S(a), y = S(b);
        int borrow = 0;
        string soFar = "";
        for (int i = 0; i < x.Length; i++)
        {
            int dx = DigitFromRight(x, i), dy = DigitFromRight(y, i);
            int diff = dx - dy - borrow;
            if (diff < 0)
            {
                soFar = (char)('0' + diff + 10) + soFar;
                lines.Add($"{dx} - {dy} - {borrow} = {diff}, add 10: {diff + 10}, write {diff + 10} borrow 1, so far {soFar}");
                borrow = 1;
            }
            else
            {
                soFar = (char)('0' + diff) + soFar;
                lines.Add($"{dx} - {dy} - {borrow} = {diff}, write {diff} borrow 0, so far {soFar}");
                borrow = 0;
            }
        }
        var result = a - b;
        lines.Add($"{x} - {y} = {S(result)}");
        return result;
    }

    /// <summary>a × b for a, b ≥ 0: one partial product per digit of b (digit-by-digit), then their column sum.</summary>
    public static BigInteger Multiply(BigInteger a, BigInteger b, List<string> lines)
    {
        string y = S(b);
        var partials = new List<BigInteger>();
        for (int i = 0; i < y.Length; i++)
        {
            int digit = DigitFromRight(y, i);
            var partial = MultiplyByDigit(a, digit, lines);
            var shifted = partial * BigInteger.Pow(10, i);
            if (i > 0)
                lines.Add($"{S(a)} * {digit}{new string('0', i)} = {S(shifted)}");
            partials.Add(shifted);
        }
        var total = partials[0];
        for (int i = 1; i < partials.Count; i++)
            total = Add(total, partials[i], lines);
        if (y.Length > 1)
            lines.Add($"{S(a)} * {y} = {S(total)}");
        return total;
    }

    private static BigInteger MultiplyByDigit(BigInteger a, int digit, List<string> lines)
    {
        string x = S(a);
        lines.Add($"{x} * {digit}:");
        int carry = 0;
        string soFar = "";
        for (int i = 0; i < x.Length; i++)
        {
            int dx = DigitFromRight(x, i);
            int product = dx * digit + carry;
            soFar = (char)('0' + product % 10) + soFar;
            lines.Add($"{dx} * {digit} + {carry} = {product}, write {product % 10} carry {product / 10}, so far {soFar}");
            carry = product / 10;
        }
        if (carry > 0)
            lines.Add($"write carry {carry}, so far {carry}{soFar}");
        var result = a * digit;
        lines.Add($"{x} * {digit} = {S(result)}");
        return result;
    }

    private static int DigitFromRight(string number, int index) =>
        index < number.Length ? number[number.Length - 1 - index] - '0' : 0;
}
