using System.Globalization;

namespace DeepSharp.Reasoning.Tasks;

/// <summary>Turns solver steps into one expression with only the parentheses precedence needs.</summary>
internal static class CountdownExpression
{
    private sealed record Item(long Value, string Text, int Precedence);

    private const int Literal = 3;

    public static string From(IReadOnlyList<long> numbers, IReadOnlyList<CountdownStep> steps)
    {
        var items = numbers.Select(n => new Item(n, n.ToString(CultureInfo.InvariantCulture), Literal)).ToList();
        foreach (var step in steps)
        {
            var left = Take(items, step.Left);
            var right = Take(items, step.Right);
            int precedence = step.Op is '*' or '/' ? 2 : 1;
            string l = left.Precedence < precedence ? $"({left.Text})" : left.Text;
            bool wrapRight = right.Precedence < precedence || (right.Precedence == precedence && step.Op is '-' or '/');
            string r = wrapRight ? $"({right.Text})" : right.Text;
            items.Add(new Item(step.Result, $"{l} {step.Op} {r}", precedence));
        }
        return items.Single().Text;
    }

    private static Item Take(List<Item> items, long value)
    {
        int index = items.FindIndex(i => i.Value == value);
        var item = items[index];
        items.RemoveAt(index);
        return item;
    }
}
