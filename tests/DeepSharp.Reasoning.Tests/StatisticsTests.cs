using DeepSharp.Oracle;
using DeepSharp.Reasoning.Datasets;
using DeepSharp.Reasoning.Evaluation;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Tests;

public class StatisticsTests
{
    private static readonly EvalSet Arithmetic = DatasetLoader.ForTask(new ArithmeticTask(), 2);

    private static string Respond(string answer) => $"<think>\nwork\n</think>\n\n{answer}";

    [Fact]
    public void Pass_at_1_averages_samples_and_cons_at_k_takes_the_majority()
    {
        var p1 = new Problem("a", "What is 2 + 2?", "4");
        var p2 = new Problem("b", "What is 3 + 3?", "6");
        // p1: 3 of 4 samples right, majority "4" right. p2: 1 of 4 right, majority "5" (twice) wrong.
        var r1 = Combine(p1, "4", "4", "5", "4");
        var r2 = Combine(p2, "6", "5", "5", "7");
        Assert.Equal("4", r1.MajorityAnswer);
        Assert.True(r1.MajorityCorrect);
        Assert.Equal("5", r2.MajorityAnswer);
        Assert.False(r2.MajorityCorrect);
        var stats = EvalStatistics.Compute([r1, r2]);
        Assert.Equal((0.75 + 0.25) / 2, stats.PassAt1, 12);
        Assert.Equal(0.5, stats.ConsAtK, 12);
        Assert.Equal(4, stats.SamplesPerProblem);
    }

    [Fact]
    public void A_majority_tie_goes_to_the_answer_seen_first_and_unanswered_samples_do_not_vote()
    {
        var p = new Problem("a", "What is 2 + 2?", "4");
        var result = Combine(p, "5", "<think>never closed", "4", "<think>\nx\n</think>\n\n");
        Assert.Equal("5", result.MajorityAnswer);
        Assert.False(result.MajorityCorrect);
    }

    [Fact]
    public void Unclosed_reasoning_and_missing_answers_are_flagged_wrong()
    {
        var p = new Problem("a", "What is 2 + 2?", "4");
        var unclosed = ResponseGrader.Grade(Arithmetic, p, "<think>\n2 + 2 = 4 so the answer is 4");
        Assert.Equal(SampleFlags.Unclosed, unclosed.Flag);
        Assert.False(unclosed.Correct);
        var empty = ResponseGrader.Grade(Arithmetic, p, "<think>\n2 + 2 = 4\n</think>\n\n  ");
        Assert.Equal(SampleFlags.NoAnswer, empty.Flag);
        Assert.False(empty.Correct);
        var stats = EvalStatistics.Compute([ResponseGrader.Combine(Arithmetic, p, [unclosed, empty])]);
        Assert.Equal((1, 1, 0), (stats.Unclosed, stats.NoAnswer, stats.Errors));
        Assert.Equal(0, stats.PassAt1);
    }

    [Fact]
    public void Wilson_interval_matches_the_hand_computed_value()
    {
        // 70 of 100, z = 1.96: centre (0.7 + 0.019208) / 1.038415 = 0.692598, half 0.088447 → [0.604151, 0.781051]
        // (statsmodels proportion_confint(70, 100, method="wilson") prints the same (0.6042, 0.7811)).
        var (low, high) = EvalStatistics.WilsonInterval(70, 100);
        Assert.Equal(0.604151, low, 5);
        Assert.Equal(0.781051, high, 5);
        Assert.Equal((0.0, 0.0), EvalStatistics.WilsonInterval(0, 0));
    }

    [Fact]
    public void The_bootstrap_interval_of_a_proportion_agrees_with_Wilson()
    {
        // For 0/1 scores the percentile bootstrap and Wilson's interval estimate the same thing; with n = 100 they
        // agree to about one standard error over 10 (0.005), and the bootstrap is repeatable (fixed seed).
        double[] scores = [.. Enumerable.Range(0, 100).Select(i => i < 70 ? 1.0 : 0.0)];
        var (low, high) = EvalStatistics.BootstrapMeanInterval(scores);
        Assert.InRange(low, 0.60, 0.62);
        Assert.InRange(high, 0.78, 0.79);
        Assert.Equal((low, high), EvalStatistics.BootstrapMeanInterval(scores));
    }

    private static ProblemResult Combine(Problem p, params string[] answers) =>
        ResponseGrader.Combine(Arithmetic, p,
            [.. answers.Select(a => ResponseGrader.Grade(Arithmetic, p, a.StartsWith('<') ? a : Respond(a)))]);
}
