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

    // -d (llama-bench's depth): the tests run with that many positions already in the cache, so the context holds them too.
    [Fact]
    public void Depth_is_reported_and_sizes_the_context()
    {
        string[] common = ["bench", "--model", TestPaths.Stories260K, "-p", "8", "-n", "4", "--reps", "1", "--threads", "1", "--json"];
        var (code, stdout, _) = CliRunner.Run([.. common, "-d", "24"]);
        var (code0, stdout0, _) = CliRunner.Run(common);

        Assert.Equal(0, code);
        Assert.Equal(0, code0);
        using var doc = JsonDocument.Parse(stdout);
        using var doc0 = JsonDocument.Parse(stdout0);
        var root = doc.RootElement;
        Assert.Equal(24, root.GetProperty("n_depth").GetInt32());
        Assert.Equal(0, doc0.RootElement.GetProperty("n_depth").GetInt32());
        Assert.True(root.GetProperty("pp_tokens_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("tg_tokens_per_s").GetDouble() > 0);
        // 24 + max(8, 4) positions against max(8, 4).
        Assert.Equal(4 * doc0.RootElement.GetProperty("kv_cache_bytes").GetInt64(), root.GetProperty("kv_cache_bytes").GetInt64());
    }

    [Fact]
    public void Table_names_the_depth_as_llama_bench_does()
    {
        var (code, stdout, _) = CliRunner.Run("bench", "--model", TestPaths.Stories260K, "-p", "4", "-n", "2", "-d", "6", "--reps", "1", "--threads", "1");

        Assert.Equal(0, code);
        Assert.Contains("| pp4 @ d6 |", stdout, StringComparison.Ordinal);
        Assert.Contains("| tg2 @ d6 |", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-d", "-1", "-n", "1", "-d must be an integer")]
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
