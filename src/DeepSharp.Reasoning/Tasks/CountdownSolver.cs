namespace DeepSharp.Reasoning.Tasks;

/// <summary>One combination of two of the remaining numbers.</summary>
public sealed record CountdownStep(long Left, char Op, long Right, long Result, IReadOnlyList<long> Remaining);

/// <summary>
/// Depth-first search over "pick two numbers, replace them by their sum, difference, product or exact quotient"
/// until one number is left. Intermediate values stay non-negative integers (a − b only with a ≥ b, a / b only when
/// exact), which is how people play Countdown and keeps the teacher's steps readable. Every problem of the held-out
/// file has such a solution using all its numbers.
/// </summary>
public static class CountdownSolver
{
    /// <summary>The first solution found in a fixed search order, or null.</summary>
    public static IReadOnlyList<CountdownStep>? Solve(IReadOnlyList<long> numbers, long target)
    {
        ArgumentNullException.ThrowIfNull(numbers);
        var steps = new List<CountdownStep>();
        return Search([.. numbers], target, steps) ? steps : null;
    }

    /// <summary>Every value reachable using all the numbers, ascending.</summary>
    public static IReadOnlyList<long> Reachable(IReadOnlyList<long> numbers)
    {
        ArgumentNullException.ThrowIfNull(numbers);
        var values = new SortedSet<long>();
        Collect([.. numbers], values);
        return [.. values];
    }

    private static bool Search(List<long> numbers, long target, List<CountdownStep> steps)
    {
        if (numbers.Count == 1)
            return numbers[0] == target;
        foreach (var (i, j, op, result) in Moves(numbers))
        {
            var remaining = Replace(numbers, i, j, result);
            steps.Add(new CountdownStep(numbers[i], op, numbers[j], result, remaining));
            if (Search(remaining, target, steps))
                return true;
            steps.RemoveAt(steps.Count - 1);
        }
        return false;
    }

    private static void Collect(List<long> numbers, SortedSet<long> values)
    {
        if (numbers.Count == 1)
        {
            values.Add(numbers[0]);
            return;
        }
        foreach (var (i, j, _, result) in Moves(numbers))
            Collect(Replace(numbers, i, j, result), values);
    }

    // Ordered pairs with the larger (or equal, earlier) number on the left, then + - * /.
    private static IEnumerable<(int I, int J, char Op, long Result)> Moves(List<long> numbers)
    {
        for (int i = 0; i < numbers.Count; i++)
        {
            for (int j = 0; j < numbers.Count; j++)
            {
                long a = numbers[i], b = numbers[j];
                if (i == j || a < b || (a == b && j < i))
                    continue;
                yield return (i, j, '+', a + b);
                yield return (i, j, '-', a - b);
                yield return (i, j, '*', a * b);
                if (b != 0 && a % b == 0)
                    yield return (i, j, '/', a / b);
            }
        }
    }

    // The numbers without positions i and j, with the result appended at the end.
    private static List<long> Replace(List<long> numbers, int i, int j, long result)
    {
        var next = new List<long>(numbers.Count - 1);
        for (int k = 0; k < numbers.Count; k++)
        {
            if (k != i && k != j)
                next.Add(numbers[k]);
        }
        next.Add(result);
        return next;
    }
}
