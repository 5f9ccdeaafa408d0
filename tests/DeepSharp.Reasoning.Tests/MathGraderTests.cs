using DeepSharp.Oracle;
using DeepSharp.Reasoning.Datasets;
using DeepSharp.Reasoning.Grading;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Tests;

/// <summary>One test per grading rule, each on a real item of ../shared/corpora/eval (named in the test).</summary>
public class MathGraderTests
{
    private static readonly Lazy<EvalSet> Math500 = new(() => DatasetLoader.Load(TestPaths.Corpus("eval", "math500", "test.jsonl")));
    private static readonly Lazy<EvalSet> Gsm8k = new(() => DatasetLoader.Load(TestPaths.Corpus("eval", "gsm8k", "test.jsonl")));
    private static readonly Lazy<EvalSet> Aime = new(() => DatasetLoader.Load(TestPaths.Corpus("eval", "aime24", "test.jsonl")));

    private static Problem MathItem(int index) => Math500.Value.Problems[index];

    [Fact]
    public void The_last_boxed_answer_is_taken_with_nested_braces()
    {
        // math500 line 1: the solution ends "\boxed{\left( 3, \frac{\pi}{2} \right)}."; reference "\left( 3, \frac{\pi}{2} \right)".
        var p = MathItem(0);
        string solution = "We have that $r = 3.$ ... so the polar coordinates are $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}.$";
        Assert.Equal("\\left( 3, \\frac{\\pi}{2} \\right)", MathAnswer.Extract(solution));
        Assert.Equal("2", MathAnswer.Extract("first \\boxed{1}, then corrected: \\boxed{2}"));
        Assert.True(MathGrader.IsEquivalent(MathAnswer.Extract(solution), p.Answer));
    }

    [Fact]
    public void Gsm8k_references_follow_four_hashes_and_lose_their_thousands_commas()
    {
        // gsm8k test line 1 ends "#### 18"; a later line's reference is "2,125" (numbers written with commas).
        Assert.Equal("18", Gsm8k.Value.Problems[0].Answer);
        var withComma = Gsm8k.Value.Problems.First(p => p.Answer == "2,125");
        Assert.True(MathGrader.IsEquivalent("2125", withComma.Answer));
        Assert.True(MathGrader.IsEquivalent("\\boxed{2,125}", withComma.Answer));
        Assert.False(MathGrader.IsEquivalent("2.125", withComma.Answer));
    }

    [Fact]
    public void Dollars_and_unit_words_are_dropped()
    {
        // gsm8k line 1 ("She makes 9 * 2 = $18 every day"); math500 answers "\$18.90", "5.4 \text{ cents}".
        Assert.True(MathGrader.IsEquivalent("\\$18", Gsm8k.Value.Problems[0].Answer));
        Assert.True(MathGrader.IsEquivalent("18 dollars", Gsm8k.Value.Problems[0].Answer));
        var dollars = Math500.Value.Problems.First(p => p.Answer == "\\$18.90");
        Assert.True(MathGrader.IsEquivalent("18.9", dollars.Answer));
        var cents = Math500.Value.Problems.First(p => p.Answer == "5.4 \\text{ cents}");
        Assert.True(MathGrader.IsEquivalent("5.4", cents.Answer));
    }

    [Fact]
    public void Percent_signs_are_dropped()
    {
        // math500 line 68: "the area decreased by $\boxed{10}$ percent" — reference "10"; "10\%" is the same answer.
        var p = MathItem(67);
        Assert.Equal("10", p.Answer);
        Assert.True(MathGrader.IsEquivalent("10\\%", p.Answer));
        Assert.True(MathGrader.IsEquivalent("10%", p.Answer));
    }

    [Fact]
    public void Degrees_are_dropped()
    {
        // math500 line 8: reference "90^\circ".
        Assert.Equal("90^\\circ", MathItem(7).Answer);
        Assert.True(MathGrader.IsEquivalent("90", MathItem(7).Answer));
        Assert.True(MathGrader.IsEquivalent("90^{\\circ}", MathItem(7).Answer));
        Assert.False(MathGrader.IsEquivalent("45", MathItem(7).Answer));
    }

    [Fact]
    public void Dfrac_and_frac_shorthand_are_the_same_fraction()
    {
        // math500 line 163: reference "\dfrac{17}{50}" (solution: "$\dfrac{34}{100} = \boxed{\dfrac{17}{50}}$");
        // math500 line 107: reference "\frac43".
        Assert.True(MathGrader.IsEquivalent("\\frac{17}{50}", MathItem(162).Answer));
        Assert.True(MathGrader.IsEquivalent("17/50", MathItem(162).Answer));
        Assert.Equal("\\frac43", MathItem(106).Answer);
        Assert.True(MathGrader.IsEquivalent("\\frac{4}{3}", MathItem(106).Answer));
    }

    [Fact]
    public void Fractions_and_decimals_compare_by_value()
    {
        // math500 line 163 again: 17/50 = 0.34; and the unreduced form the solution shows first, 34/100.
        Assert.True(MathGrader.IsEquivalent("0.34", MathItem(162).Answer));
        Assert.True(MathGrader.IsEquivalent("\\frac{34}{100}", MathItem(162).Answer));
        Assert.False(MathGrader.IsEquivalent("0.35", MathItem(162).Answer));
    }

    [Fact]
    public void Latex_spacing_and_left_right_are_normalised()
    {
        // math500 line 1 written without \left/\right and spaces; math500 line 199: "10,\!080" (a LaTeX thin space).
        Assert.True(MathGrader.IsEquivalent("(3,\\frac{\\pi}{2})", MathItem(0).Answer));
        Assert.Equal("10,\\!080", MathItem(198).Answer);
        Assert.True(MathGrader.IsEquivalent("10080", MathItem(198).Answer));
        Assert.True(MathGrader.IsEquivalent("\\sqrt{2}", "\\sqrt2"));
    }

    [Fact]
    public void Text_answers_and_variable_prefixes_are_unwrapped()
    {
        // math500 line 5: reference "\text{Evelyn}"; line 24: reference "x=5"; line 177: ".0000672".
        Assert.True(MathGrader.IsEquivalent("Evelyn", MathItem(4).Answer));
        Assert.Equal("x=5", MathItem(23).Answer);
        Assert.True(MathGrader.IsEquivalent("5", MathItem(23).Answer));
        Assert.True(MathGrader.IsEquivalent("0.0000672", MathItem(176).Answer));
    }

    [Fact]
    public void Numeric_equivalence_ignores_leading_zeros_of_AIME_answers()
    {
        // aime24 line 8: answer "025".
        var p = Aime.Value.Problems.First(q => q.Answer == "025");
        Assert.True(MathGrader.IsEquivalent("25", p.Answer));
        Assert.True(MathGrader.IsEquivalent("\\boxed{25}", p.Answer));
        Assert.False(MathGrader.IsEquivalent("52", p.Answer));
    }

    [Fact]
    public void Without_a_box_the_stated_or_last_number_is_the_answer()
    {
        Assert.Equal("18", MathAnswer.Extract("Janet makes 9 * 2 = $18 every day.\n#### 18"));
        Assert.Equal("42", MathAnswer.Extract("So the answer is 42."));
        Assert.Equal("7", MathAnswer.Extract("3 + 4 = 7"));
        Assert.Null(MathAnswer.Extract("no idea"));
        Assert.Null(MathAnswer.Extract(""));
    }

    [Fact]
    public void Every_gold_solution_of_math500_grades_as_correct()
    {
        // The reference solutions box their answer; grading the solution against the reference is a whole-file check.
        var lines = File.ReadLines(TestPaths.Corpus("eval", "math500", "test.jsonl")).ToList();
        int correct = 0;
        foreach (var line in lines)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            string solution = doc.RootElement.GetProperty("solution").GetString()!;
            string answer = doc.RootElement.GetProperty("answer").GetString()!;
            if (MathGrader.IsEquivalent(MathAnswer.Extract(solution), answer))
                correct++;
        }
        Assert.Equal(500, lines.Count);
        Assert.Equal(lines.Count, correct);
    }
}
