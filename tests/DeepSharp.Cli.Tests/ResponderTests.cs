using DeepSharp.Reasoning.Evaluation;
using DeepSharp.Runtime;
using DeepSharp.Synth;

namespace DeepSharp.Cli.Tests;

/// <summary>The two responders behind eval and distill: batched in-process generation, and retries against endpoints.</summary>
public sealed class ResponderTests : IDisposable
{
    // A generous timeout where replies are expected to arrive (a loaded CI machine can take seconds to answer the
    // first request), a short one only where the endpoint is made to stall for much longer.
    private static readonly RetryPolicy Fast = new(MaxAttempts: 3, BaseDelay: TimeSpan.FromMilliseconds(5), RequestTimeout: TimeSpan.FromSeconds(30));
    private static readonly RetryPolicy ShortTimeout = Fast with { RequestTimeout = TimeSpan.FromSeconds(2) };
    private static readonly GenerationSettings Settings = new(0.6f, 0.95f, 12);
    private static readonly ResponseRequest[] OneRequest = [new("What is 1 + 1?", 7)];
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsharp-responder-").FullName;

    [Fact]
    public async Task Batched_generation_gives_the_same_samples_as_one_at_a_time()
    {
        string path = Path.Combine(_dir, "tiny.gguf");
        SynthModel.Write(new SynthOptions { Arch = "qwen2", Preset = "tiny-qwen2", FileType = "f32", Seed = 2 }, path);
        using var model = ChatModel.Load(path);
        ResponseRequest[] requests = [.. Enumerable.Range(0, 5).Select(i => new ResponseRequest($"What is {i} + 2?", (ulong)(100 + i)))];
        using var single = new LocalModelResponder(model, Settings, maxBatch: 1);
        using var batched = new LocalModelResponder(model, Settings, maxBatch: 4);
        var one = await single.RespondAsync(requests, default);
        var many = await batched.RespondAsync(requests, default);
        Assert.Equal(one.Select(c => c.Response), many.Select(c => c.Response));
        Assert.All(many, c => Assert.Equal(12, c.CompletionTokens));
        Assert.Equal(5, one.Select(c => c.Response).Distinct().Count()); // different prompts and seeds differ
    }

    [Fact]
    public async Task Rate_limits_and_server_errors_are_retried_until_an_answer_comes()
    {
        using var endpoint = new FakeEndpoint((n, _) => n switch
        {
            0 => new FakeReply(429, "{\"error\":\"slow down\"}"),
            1 => new FakeReply(503, "unavailable"),
            _ => new FakeReply(200, FakeEndpoint.Completion("1 + 1 = 2", "2")),
        });
        using var responder = new EndpointResponder(endpoint.Url, Settings, retry: Fast);
        var completion = (await responder.RespondAsync(OneRequest, default)).Single();
        Assert.Null(completion.Error);
        Assert.Equal("<think>\n1 + 1 = 2\n</think>\n\n2", completion.Response);
        Assert.Equal(3, endpoint.Requests);
    }

    [Theory]
    [InlineData("garbage", "unreadable response")]
    [InlineData("{\"choices\":[]}", "unreadable response")]
    [InlineData("slow", "timed out")]
    public async Task Garbage_and_timeouts_are_retried_then_reported(string behaviour, string reported)
    {
        using var endpoint = new FakeEndpoint((_, _) => behaviour == "slow"
            ? new FakeReply(200, FakeEndpoint.Completion("r", "2"), TimeSpan.FromSeconds(10))
            : new FakeReply(200, behaviour == "garbage" ? "<html>oops</html>" : behaviour));
        using var responder = new EndpointResponder(endpoint.Url, Settings, retry: behaviour == "slow" ? ShortTimeout : Fast);
        var completion = (await responder.RespondAsync(OneRequest, default)).Single();
        Assert.Contains(reported, completion.Error, StringComparison.Ordinal);
        Assert.Contains("gave up after 3 attempts", completion.Error, StringComparison.Ordinal);
        // A timed-out attempt may reach the fake server's handler after the client gave up (the 2 s timeout is short on
        // a loaded CI machine): wait for it, then check that exactly three came.
        Assert.Equal(3, await endpoint.RequestsAfterAsync(3, TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_client_error_is_not_retried()
    {
        using var endpoint = new FakeEndpoint((_, _) => new FakeReply(401, "{\"error\":\"bad key\"}"));
        using var responder = new EndpointResponder(endpoint.Url, Settings, retry: Fast);
        var completion = (await responder.RespondAsync(OneRequest, default)).Single();
        Assert.StartsWith("HTTP 401", completion.Error, StringComparison.Ordinal);
        Assert.Equal(1, endpoint.Requests);
    }

    [Fact]
    public void Reasoning_cut_off_by_the_length_limit_stays_unclosed()
    {
        var c = EndpointResponder.ParseBody(FakeEndpoint.Completion("still going", "", finish: "length"))!;
        Assert.Equal("<think>\nstill going", c.Response);
        Assert.Equal(new Uri("http://h:1/v1/chat/completions"), EndpointResponder.CompletionsUri("http://h:1"));
        Assert.Equal(new Uri("http://h:1/v1/chat/completions"), EndpointResponder.CompletionsUri("http://h:1/v1/"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
