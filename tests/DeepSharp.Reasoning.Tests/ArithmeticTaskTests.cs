using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Tests;

public class ArithmeticTaskTests
{
    private readonly ArithmeticTask _task = new();

    private static Problem Question(string expression, string answer) => new("t", $"What is {expression}?", answer);

    [Fact]
    public void Addition_is_taught_column_by_column_with_carries()
    {
        // 347 + 58: 7+8 = 15 (write 5 carry 1), 4+5+1 = 10 (write 0 carry 1), 3+0+1 = 4 → 405, checked by hand.
        var solution = _task.Teach(Question("347 + 58", "405"));
        Assert.Equal(
            "7 + 8 + 0 = 15, write 5 carry 1, so far 5\n4 + 5 + 1 = 10, write 0 carry 1, so far 05\n"
            + "3 + 0 + 1 = 4, write 4 carry 0, so far 405\n347 + 58 = 405",
            solution.Reasoning);
        Assert.Equal("405", solution.Answer);
    }

    [Fact]
    public void A_final_carry_becomes_the_leading_digit()
    {
        var solution = _task.Teach(Question("95 + 7", "102"));
        Assert.Equal("5 + 7 + 0 = 12, write 2 carry 1, so far 2\n9 + 0 + 1 = 10, write 0 carry 1, so far 02\n"
            + "write carry 1, so far 102\n95 + 7 = 102",
            solution.Reasoning);
        Assert.Equal("102", solution.Answer);
    }

    [Fact]
    public void Subtraction_borrows_and_handles_a_negative_result()
    {
        var solution = _task.Teach(Question("302 - 47", "255"));
        Assert.Equal(
            "2 - 7 - 0 = -5, add 10: 5, write 5 borrow 1, so far 5\n0 - 4 - 1 = -5, add 10: 5, write 5 borrow 1, so far 55\n"
            + "3 - 0 - 1 = 2, write 2 borrow 0, so far 255\n302 - 47 = 255", solution.Reasoning);

        var negative = _task.Teach(Question("58 - 347", "-289"));
        Assert.StartsWith("58 < 347, so 58 - 347 = -(347 - 58)\n", negative.Reasoning, StringComparison.Ordinal);
        Assert.EndsWith("347 - 58 = 289\n58 - 347 = -289", negative.Reasoning, StringComparison.Ordinal);
        Assert.Equal("-289", negative.Answer);
    }

    [Fact]
    public void Multiplication_writes_partial_products_then_adds_them()
    {
        // 47 × 36 = 47 × 6 + 47 × 30 = 282 + 1410 = 1692 (by hand).
        var solution = _task.Teach(Question("47 * 36", "1692"));
        string[] lines = solution.Reasoning.Split('\n');
        Assert.Equal("47 * 6:", lines[0]);
        Assert.Equal("7 * 6 + 0 = 42, write 2 carry 4, so far 2", lines[1]);
        Assert.Equal("4 * 6 + 4 = 28, write 8 carry 2, so far 82", lines[2]);
        Assert.Equal("write carry 2, so far 282", lines[3]);
        Assert.Equal("47 * 6 = 282", lines[4]);
        Assert.Contains("47 * 30 = 1410", lines);
        Assert.Contains("282 + 1410 = 1692", lines);
        Assert.Equal("47 * 36 = 1692", lines[^1]);
        Assert.Equal("1692", solution.Answer);
    }

    [Fact]
    public void Expressions_are_reduced_one_operation_at_a_time_by_precedence()
    {
        // (12 + 7) * 3 - 5 = 19 * 3 - 5 = 57 - 5 = 52; multi-digit sums and differences go column by column.
        var solution = _task.Teach(Question("(12 + 7) * 3 - 5", "52"));
        Assert.Equal("(12 + 7) * 3 - 5\n2 + 7 + 0 = 9, write 9 carry 0, so far 9\n1 + 0 + 0 = 1, write 1 carry 0, so far 19\n"
            + "12 + 7 = 19\n19 * 3 - 5\n19 * 3 = 57\n57 - 5\n7 - 5 - 0 = 2, write 2 borrow 0, so far 2\n"
            + "5 - 0 - 0 = 5, write 5 borrow 0, so far 52\n57 - 5 = 52", solution.Reasoning);
        Assert.Equal("52", solution.Answer);

        // 2 + 3 * 4 - 6 / 2 → multiplication and division first: 2 + 12 - 6 / 2 → 2 + 12 - 3 → 14 - 3 → 11.
        var precedence = _task.Teach(Question("2 + 3 * 4 - 6 / 2", "11"));
        Assert.Equal("2 + 3 * 4 - 6 / 2\n3 * 4 = 12\n2 + 12 - 6 / 2\n6 / 2 = 3\n2 + 12 - 3\n"
            + "2 + 2 + 0 = 4, write 4 carry 0, so far 4\n0 + 1 + 0 = 1, write 1 carry 0, so far 14\n2 + 12 = 14\n14 - 3\n"
            + "4 - 3 - 0 = 1, write 1 borrow 0, so far 1\n1 - 0 - 0 = 1, write 1 borrow 0, so far 11\n14 - 3 = 11",
            precedence.Reasoning);
    }

    [Theory]
    [InlineData("405", true)]
    [InlineData(" 405.", true)]
    [InlineData("\\boxed{405}", true)]
    [InlineData("<answer>405</answer>", true)]
    [InlineData("1,405", false)]
    [InlineData("404", false)]
    [InlineData("four hundred five", false)]
    public void The_checker_accepts_the_value_in_common_wrappings(string answer, bool expected) =>
        Assert.Equal(expected, _task.IsCorrect(Question("347 + 58", "405"), answer));

    [Fact]
    public void Generated_problems_are_deterministic_taught_correctly_and_never_held_out()
    {
        var rng = new Random(7);
        var first = Enumerable.Range(0, 300).Select(_ => _task.Generate(rng)).ToList();
        var again = new Random(7);
        var heldOut = _task.HeldOut(500).Select(p => p.Question).ToHashSet();
        Assert.Equal(500, heldOut.Count);
        foreach (var p in first)
        {
            Assert.Equal(p, _task.Generate(again));
            Assert.DoesNotContain(p.Question, heldOut);
            var solution = _task.Teach(p);
            Assert.Equal(p.Answer, solution.Answer);
            Assert.True(_task.IsCorrect(p, solution.Answer));
            Assert.Equal(1.0, Rewards.Accuracy(_task, p, ResponseFormat.Compose(solution)));
        }
        Assert.Contains(first, p => p.Question.Contains('('));
        Assert.Contains(first, p => p.Answer.StartsWith('-'));
    }

    [Fact]
    public void The_held_out_set_is_fixed()
    {
        Assert.Equal(_task.HeldOut(20), new ArithmeticTask().HeldOut(50).Take(20));
    }
}
