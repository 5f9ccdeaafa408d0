using System.Text.Json;
using DeepSharp.Reasoning;
using DeepSharp.Reasoning.Tasks;
using DeepSharp.Synth;

namespace DeepSharp.Cli.Tests;

/// <summary><c>deepsharp eval</c> with a synthetic model in process and with fake endpoints.</summary>
public sealed class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsharp-eval-").FullName;

    private string ModelPath()
    {
        string path = Path.Combine(_dir, "tiny.gguf");
        if (!File.Exists(path))
            SynthModel.Write(new SynthOptions { Arch = "qwen2", Preset = "tiny-qwen2", FileType = "q8_0", Seed = 1 }, path);
        return path;
    }

    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();

    /// <summary>A teacher that always answers arithmetic correctly, its reasoning returned separately.</summary>
    internal static FakeReply PerfectArithmetic(int request, string user)
    {
        var task = new ArithmeticTask();
        var solution = task.Teach(new Problem("q", user, ""));
        return new FakeReply(200, FakeEndpoint.Completion(solution.Reasoning, $"The answer is \\boxed{{{solution.Answer}}}."));
    }

    [Fact]
    public void A_random_model_is_graded_wrong_flagged_and_a_rerun_resumes()
    {
        string model = ModelPath(), output = Path.Combine(_dir, "r.jsonl"), summary = Path.Combine(_dir, "s.json");
        string[] args = ["eval", "--model", model, "--task", "arithmetic", "--limit", "3", "--samples", "2", "--max-tokens", "6",
            "--concurrency", "4", "--out", output, "--summary", summary, "--seed", "1"];
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.True(code == 0, stderr);
        Assert.Contains("pass@1", stdout, StringComparison.Ordinal);
        Assert.Contains("3/3 problems", stderr, StringComparison.Ordinal);
        var s = ReadJson(summary);
        Assert.Equal(3, s.GetProperty("n").GetInt32());
        Assert.Equal(2, s.GetProperty("k").GetDouble());
        Assert.Equal(0, s.GetProperty("pass_at_1").GetDouble());
        Assert.Equal(0, s.GetProperty("ci_low").GetDouble());
        Assert.Equal(6, s.GetProperty("unclosed_think").GetInt32() + s.GetProperty("no_answer").GetInt32());
        Assert.Equal(3, File.ReadAllLines(output).Length);

        var (again, stdoutAgain, _) = CliRunner.Run(args);
        Assert.Equal(0, again);
        Assert.Equal(3, File.ReadAllLines(output).Length); // nothing re-run
        Assert.Equal(stdout, stdoutAgain);
    }

    [Fact]
    public void A_correct_endpoint_scores_full_marks_with_reasoning_content_put_back_in_think()
    {
        using var endpoint = new FakeEndpoint(PerfectArithmetic);
        string output = Path.Combine(_dir, "r.jsonl"), summary = Path.Combine(_dir, "s.json");
        var (code, stdout, stderr) = CliRunner.Run("eval", "--endpoint", endpoint.Url, "--task", "arithmetic", "--limit", "5",
            "--samples", "3", "--concurrency", "6", "--out", output, "--summary", summary);
        Assert.True(code == 0, stderr);
        var s = ReadJson(summary);
        Assert.Equal(1.0, s.GetProperty("pass_at_1").GetDouble());
        Assert.Equal(1.0, s.GetProperty("cons_at_k").GetDouble());
        Assert.Equal(20.0, s.GetProperty("mean_completion_tokens").GetDouble());
        Assert.Equal(15, endpoint.Requests);
        var first = JsonDocument.Parse(File.ReadLines(output).First()).RootElement;
        string response = first.GetProperty("samples")[0].GetProperty("response").GetString()!;
        Assert.StartsWith("<think>\n", response, StringComparison.Ordinal);
        Assert.Contains("</think>\n\nThe answer is \\boxed{", response, StringComparison.Ordinal);
        Assert.Contains("100.0%", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_endpoint_is_reported_per_problem_and_those_problems_rerun()
    {
        using var broken = new FakeEndpoint((_, _) => new FakeReply(500, "{\"error\":\"overloaded\"}"));
        string output = Path.Combine(_dir, "r.jsonl"), summary = Path.Combine(_dir, "s.json");
        var (code, _, stderr) = CliRunner.Run("eval", "--endpoint", broken.Url, "--task", "arithmetic", "--limit", "2",
            "--retries", "1", "--out", output, "--summary", summary);
        Assert.True(code == 0, stderr);
        Assert.Equal(2, ReadJson(summary).GetProperty("errors").GetInt32());
        Assert.Contains("HTTP 500", File.ReadAllText(output), StringComparison.Ordinal);

        using var healthy = new FakeEndpoint(PerfectArithmetic);
        Assert.Equal(0, CliRunner.Run("eval", "--endpoint", healthy.Url, "--task", "arithmetic", "--limit", "2",
            "--out", output, "--summary", summary).Code);
        Assert.Equal(2, healthy.Requests);
        Assert.Equal(1.0, ReadJson(summary).GetProperty("pass_at_1").GetDouble());
    }

    [Fact]
    public void Bad_input_is_one_line_on_stderr()
    {
        string data = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(data, "{\"problem\":\"1+1\",\"answer\":\"2\"}\n{\"problem\":\"2+2\"}\n");
        var (code, _, stderr) = CliRunner.Run("eval", "--endpoint", "http://127.0.0.1:9/", "--dataset", data);
        Assert.Equal(1, code);
        Assert.Contains("bad.jsonl:2: missing field \"answer\"", stderr, StringComparison.Ordinal);

        Assert.Contains("--dataset", CliRunner.Run("eval", "--endpoint", "http://127.0.0.1:9/").Stderr, StringComparison.Ordinal);
        Assert.Contains("--model", CliRunner.Run("eval", "--task", "arithmetic").Stderr, StringComparison.Ordinal);
        Assert.Contains("unknown task", CliRunner.Run("eval", "--task", "chess", "--endpoint", "http://127.0.0.1:9/").Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Responses_compose_like_the_teacher_format()
    {
        // The fake teacher's answer text parses back into the same reasoning the task's teacher wrote.
        var reply = PerfectArithmetic(0, "What is 12 + 30?");
        var completion = DeepSharp.Reasoning.Evaluation.EndpointResponder.ParseBody(reply.Body)!;
        var parsed = ResponseFormat.Parse(completion.Response);
        Assert.Equal(new ArithmeticTask().Teach(new Problem("q", "What is 12 + 30?", "42")).Reasoning, parsed.Reasoning);
        Assert.Equal("The answer is \\boxed{42}.", parsed.Answer);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
