using DeepSharp.Oracle;
using DeepSharp.Reasoning.Datasets;

namespace DeepSharp.Reasoning.Tests;

public class DatasetLoaderTests
{
    [Theory]
    [InlineData("gsm8k/test.jsonl", 1319, "18")]
    [InlineData("math500/test.jsonl", 500, "\\left( 3, \\frac{\\pi}{2} \\right)")]
    [InlineData("aime24/test.jsonl", 30, "204")]
    public void The_corpora_copies_load_with_their_reference_answers(string relative, int count, string firstAnswer)
    {
        var set = DatasetLoader.Load(TestPaths.Corpus("eval", relative));
        Assert.Equal(count, set.Problems.Count);
        Assert.Equal(firstAnswer, set.Problems[0].Answer);
        Assert.IsType<MathEvalSet>(set);
        Assert.EndsWith(MathEvalSet.Instruction, set.Prompt(set.Problems[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_countdown_file_becomes_the_countdown_task()
    {
        var set = DatasetLoader.Load(TestPaths.Corpus("eval", "countdown", "test.jsonl"), limit: 10);
        Assert.IsType<TaskEvalSet>(set);
        Assert.Equal(10, set.Problems.Count);
    }

    [Fact]
    public void Task_names_load_their_held_out_sets()
    {
        var set = DatasetLoader.Load("arithmetic", limit: 25);
        Assert.Equal(25, set.Problems.Count);
        Assert.Equal(set.Problems[0].Question, set.Prompt(set.Problems[0]));
    }

    [Theory]
    [InlineData("{\"question\":\"q\",\"answer\":\"#### 1\"}\n{\"question\":\"q2\"}\n", 2, "answer")]
    [InlineData("{\"problem\":\"p\",\"answer\":\"1\"}\n\n{\"answer\":\"2\"}\n", 3, "problem")]
    [InlineData("{\"problem\":\"p\",\"answer\":\"1\"}\nnot json\n", 2, "invalid JSON")]
    [InlineData("{\"question\":\"q\",\"answer\":\"no hashes here\"}\n{\"question\":\"q\",\"answer\":\"####\"}\n", 2, "####")]
    public void A_line_missing_fields_is_reported_with_its_number(string content, int line, string mentioned)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ds-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, content);
        try
        {
            var e = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(path));
            Assert.Equal(line, e.LineNumber);
            Assert.Contains(mentioned, e.Message, StringComparison.Ordinal);
            Assert.Contains($":{line}:", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DatasetLoader.Load("mmlu"));
        Assert.Contains("gsm8k", e.Message, StringComparison.Ordinal);
    }
}
