using System.Globalization;
using System.Text.Json;
using DeepSharp.Reasoning.Distillation;
using DeepSharp.Reasoning.Tasks;
using DeepSharp.Server;
using DeepSharp.Server.Backend;
using DeepSharp.Synth;

namespace DeepSharp.Cli.Tests;

/// <summary><c>deepsharp distill</c> against a real loopback <c>deepsharp serve</c>, the engine in process, and fake endpoints.</summary>
public sealed class DistillCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsharp-distill-").FullName;

    private string Traces => Path.Combine(_dir, "traces.jsonl");

    private string SynthModelPath()
    {
        string path = Path.Combine(_dir, "tiny.gguf");
        SynthModel.Write(new SynthOptions { Arch = "qwen2", Preset = "tiny-qwen2", FileType = "q8_0", Seed = 3 }, path);
        return path;
    }

    // Right for questions whose answer is even, wrong (off by one) for odd ones; the first request is rate-limited.
    private static FakeReply HalfRightTeacher(int request, string user)
    {
        if (request == 0)
            return new FakeReply(429, "{\"error\":\"rate limited\"}");
        var solution = new ArithmeticTask().Teach(new Problem("q", user, ""));
        long value = long.Parse(solution.Answer, CultureInfo.InvariantCulture);
        string answer = value % 2 == 0 ? solution.Answer : (value + 1).ToString(CultureInfo.InvariantCulture);
        return new FakeReply(200, FakeEndpoint.Completion(solution.Reasoning, answer));
    }

    [Fact]
    public void Only_verified_traces_are_kept_deduplicated_in_the_trace_format_and_a_rerun_resumes()
    {
        using var endpoint = new FakeEndpoint(HalfRightTeacher);
        string[] args = ["distill", "--endpoint", endpoint.Url, "--task", "arithmetic", "--limit", "12", "--samples", "3",
            "--concurrency", "6", "--out", Traces, "--seed", "5"];
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.True(code == 0, stderr);
        var rng = new Random(5);
        var problems = Enumerable.Range(0, 40).Select(_ => new ArithmeticTask().Generate(rng)).DistinctBy(p => p.Id).Take(12).ToList();
        var even = problems.Where(p => long.Parse(p.Answer, CultureInfo.InvariantCulture) % 2 == 0).ToList();
        var lines = File.ReadAllLines(Traces).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        // The teacher is deterministic, so its three samples per problem are one trace after deduplication.
        Assert.Equal(even.Count, lines.Count);
        Assert.Contains($"verified {even.Count * 3}", stdout, StringComparison.Ordinal);
        Assert.Contains($"duplicates {even.Count * 2}", stdout, StringComparison.Ordinal);
        foreach (var (line, p) in lines.Zip(even))
        {
            var solution = new ArithmeticTask().Teach(p);
            Assert.Equal(p.Question, line.GetProperty("prompt").GetString());
            Assert.Equal(solution.Reasoning, line.GetProperty("reasoning").GetString());
            Assert.Equal(p.Answer, line.GetProperty("answer").GetString());
            Assert.True(line.GetProperty("verified").GetBoolean());
            var messages = line.GetProperty("messages");
            Assert.Equal("user", messages[0].GetProperty("role").GetString());
            Assert.Equal(p.Question, messages[0].GetProperty("content").GetString());
            Assert.Equal("assistant", messages[1].GetProperty("role").GetString());
            Assert.Equal($"<think>\n{solution.Reasoning}\n</think>\n\n{p.Answer}", messages[1].GetProperty("content").GetString());
        }
        Assert.Equal(12, File.ReadAllLines(Distiller.DoneListPath(Traces)).Length);

        using var second = new FakeEndpoint(HalfRightTeacher);
        args[2] = second.Url;
        Assert.Equal(0, CliRunner.Run(args).Code);
        Assert.Equal(0, second.Requests);
        Assert.Equal(lines.Count, File.ReadAllLines(Traces).Length);
    }

    [Fact]
    public void Keep_unverified_writes_the_wrong_traces_too_marked_as_such()
    {
        using var endpoint = new FakeEndpoint((n, user) => HalfRightTeacher(n + 1, user));
        var (code, _, stderr) = CliRunner.Run("distill", "--endpoint", endpoint.Url, "--task", "arithmetic", "--limit", "12",
            "--out", Traces, "--keep-unverified");
        Assert.True(code == 0, stderr);
        var verified = File.ReadAllLines(Traces).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("verified").GetBoolean()).ToList();
        Assert.Equal(12, verified.Count);
        Assert.Contains(true, verified);
        Assert.Contains(false, verified);
    }

    [Fact]
    public void A_failing_endpoint_is_reported_and_its_problems_retried_on_the_next_run()
    {
        using var broken = new FakeEndpoint((_, _) => new FakeReply(502, "bad gateway"));
        var (code, stdout, stderr) = CliRunner.Run("distill", "--endpoint", broken.Url, "--task", "arithmetic", "--limit", "3",
            "--retries", "1", "--out", Traces);
        Assert.Equal(0, code);
        Assert.Contains("failed requests 3", stdout, StringComparison.Ordinal);
        Assert.Contains("3 problems had requests that failed", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Distiller.DoneListPath(Traces)));

        using var healthy = new FakeEndpoint((n, user) => HalfRightTeacher(n + 1, user));
        Assert.Equal(0, CliRunner.Run("distill", "--endpoint", healthy.Url, "--task", "arithmetic", "--limit", "3", "--out", Traces).Code);
        Assert.Equal(3, healthy.Requests);
    }

    [Fact]
    public async Task A_loopback_deepsharp_serve_teacher_is_sampled_and_its_unverifiable_output_rejected()
    {
        // A random synthetic model never closes its reasoning with a right answer: every trace must be rejected.
        await using var server = await DeepSharpServer.StartAsync(ChatModelBackend.Load(SynthModelPath()),
            new ServerOptions { Port = 0, Host = "127.0.0.1" }, ownsBackend: true);
        var (code, stdout, stderr) = CliRunner.Run("distill", "--endpoint", server.BaseAddress.ToString(), "--task", "countdown",
            "--limit", "2", "--samples", "2", "--max-tokens", "8", "--out", Traces);
        Assert.True(code == 0, stderr);
        Assert.Contains("responses 4, verified 0, written 0", stdout, StringComparison.Ordinal);
        Assert.Equal(2, File.ReadAllLines(Distiller.DoneListPath(Traces)).Length);
    }

    [Fact]
    public void An_in_process_teacher_works_the_same_way()
    {
        var (code, stdout, stderr) = CliRunner.Run("distill", "--teacher", SynthModelPath(), "--task", "arithmetic",
            "--limit", "2", "--samples", "2", "--max-tokens", "8", "--concurrency", "4", "--out", Traces);
        Assert.True(code == 0, stderr);
        Assert.Contains("responses 4, verified 0", stdout, StringComparison.Ordinal);
        Assert.Contains("2/2 problems", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
