using System.Text.Json;
using DeepSharp.Oracle;

namespace DeepSharp.Cli.Tests;

/// <summary><c>deepsharp bench</c>: the shape of its report (timings themselves are never asserted).</summary>
public class BenchCommandTests
{
    [Fact]
    public void Json_report_has_the_llama_bench_fields()
    {
        var (code, stdout, _) = CliRunner.Run("bench", "--model", TestPaths.Stories260K, "-p", "8", "-n", "4", "--reps", "2", "--threads", "1", "--json");

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("pp_tokens_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("tg_tokens_per_s").GetDouble() > 0);
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        Assert.Equal(8, root.GetProperty("n_prompt").GetInt32());
        Assert.Equal(4, root.GetProperty("n_gen").GetInt32());
        Assert.Equal(2, root.GetProperty("pp_samples_tokens_per_s").GetArrayLength());
        Assert.Equal(new FileInfo(TestPaths.Stories260K).Length, root.GetProperty("model_size_bytes").GetInt64());
        Assert.Equal("F32", root.GetProperty("model_type").GetString());
        // The process holds at least the model file it mapped and touched.
        Assert.True(root.GetProperty("peak_rss_bytes").GetInt64() >= root.GetProperty("model_size_bytes").GetInt64());
        var pp = root.GetProperty("pp_min_tokens_per_s").GetDouble();
        Assert.True(pp <= root.GetProperty("pp_tokens_per_s").GetDouble());
    }

    [Fact]
    public void Table_report_names_both_tests()
    {
        var (code, stdout, _) = CliRunner.Run("bench", "--model", TestPaths.Stories260K, "-p", "4", "-n", "2", "--reps", "1", "--threads", "1");

        Assert.Equal(0, code);
        Assert.Contains("| pp4 |", stdout, StringComparison.Ordinal);
        Assert.Contains("| tg2 |", stdout, StringComparison.Ordinal);
        Assert.Contains("peak rss", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-p", "0", "-n", "0", "nothing to measure")]
    [InlineData("--reps", "0", "-p", "4", "--reps must be an integer")]
    [InlineData("-p", "x", "-n", "1", "-p must be an integer")]
    [InlineData("--frobnicate", "1", "-n", "1", "unknown option")]
    public void Bad_options_are_one_line_errors(string a, string b, string c, string d, string expected)
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "--model", TestPaths.Stories260K, a, b, c, d);

        Assert.NotEqual(0, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }
}
