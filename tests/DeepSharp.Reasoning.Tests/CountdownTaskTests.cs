using DeepSharp.Oracle;
using DeepSharp.Reasoning.Datasets;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Tests;

public class CountdownTaskTests
{
    private static readonly string HeldOutFile = TestPaths.Corpus("eval", "countdown", "test.jsonl");
    private readonly CountdownTask _task = new(HeldOutFile);

    [Fact]
    public void The_held_out_set_is_the_TinyZero_test_file()
    {
        var first = _task.HeldOut(3);
        // Line 1 of corpora/eval/countdown/test.jsonl: nums [96, 7, 37, 74], target 55.
        Assert.StartsWith("Using the numbers [96, 7, 37, 74], create an equation that equals 55.", first[0].Question, StringComparison.Ordinal);
        Assert.Equal(2001, _task.HeldOut(5000).Count);
    }

    [Fact]
    public void The_teacher_shows_the_found_solution_as_steps()
    {
        var p = _task.HeldOut(1)[0];
        var solution = _task.Teach(p);
        string[] lines = solution.Reasoning.Split('\n');
        Assert.Equal("numbers 96 7 37 74, target 55", lines[0]);
        Assert.Equal($"{solution.Answer} = 55", lines[^1]);
        Assert.Equal(5, lines.Length); // header, three combinations, the expression
        Assert.True(_task.IsCorrect(p, solution.Answer));
    }

    [Fact]
    public void The_teacher_solves_every_held_out_problem()
    {
        foreach (var p in _task.HeldOut(2001).Where((_, i) => i % 10 == 0))
        {
            var solution = _task.Teach(p);
            Assert.True(_task.IsCorrect(p, solution.Answer), $"{p.Question} → {solution.Answer}");
            Assert.Equal(1.0, Rewards.Accuracy(_task, p, ResponseFormat.Compose(solution)));
        }
    }

    [Theory]
    [InlineData("96 - 74 + 37 - 7 * 1", false)]     // 7*1 uses a number not given
    [InlineData("(96 - 74) * 37 / 74", false)]      // 74 used twice, 7 unused
    [InlineData("74 - 96 + 37 + 7", false)]         // = 22, uses all numbers but misses 55
    [InlineData("96 + 7 - 37 - 74 + 63", false)]    // extra number
    [InlineData("96 - 37 - 74 / 7", false)]         // 96 - 37 - 74/7 ≠ 55
    [InlineData("(96 + 37 - 74) - 7 * 0", false)]
    public void Wrong_expressions_are_rejected(string answer, bool expected)
    {
        var p = _task.HeldOut(1)[0];
        Assert.Equal(expected, _task.IsCorrect(p, answer));
    }

    [Fact]
    public void Right_expressions_are_accepted_in_any_form()
    {
        // [3, 5, 2] → 13: 3 × 5 − 2 = 13 (by hand).
        var p = CountdownTask.MakeProblem("x", [3, 5, 2], 13);
        Assert.True(_task.IsCorrect(p, "3 * 5 - 2"));
        Assert.True(_task.IsCorrect(p, "<answer> (5 * 3) - 2 </answer>"));
        Assert.True(_task.IsCorrect(p, "5 × 3 − 2 = 13"));
        Assert.False(_task.IsCorrect(p, "\\boxed{5 \\times 3 - 2}")); // LaTeX \times is not an accepted operator
        Assert.False(_task.IsCorrect(p, "3 * 5 - 2 + 0"));
        Assert.False(_task.IsCorrect(p, "3 * 5"));
        Assert.False(_task.IsCorrect(p, ""));
    }

    [Fact]
    public void Generated_problems_are_solvable_deterministic_and_in_range()
    {
        var a = new Random(11);
        var b = new Random(11);
        for (int i = 0; i < 50; i++)
        {
            var p = _task.Generate(a);
            Assert.Equal(p, _task.Generate(b));
            var (numbers, target) = CountdownTask.Parse(p);
            Assert.InRange(numbers.Length, 3, 4);
            Assert.InRange(target, 10, 100);
            Assert.True(_task.IsCorrect(p, _task.Teach(p).Answer));
        }
    }

    [Fact]
    public void A_line_without_target_is_reported_with_its_number()
    {
        string path = Path.Combine(Path.GetTempPath(), $"cd-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, "{\"nums\":[1,2,3],\"target\":6}\n\n{\"nums\":[1,2]}\n");
        try
        {
            var e = Assert.Throws<DatasetFormatException>(() => CountdownDataset.Load(path).ToList());
            Assert.Equal(3, e.LineNumber);
            Assert.Contains("target", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
