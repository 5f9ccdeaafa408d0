using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace DeepSharp.Server.Tests;

/// <summary>
/// The opt-in per-client rate limit: N requests per minute per API key (or address), then 429 rate_limit_exceeded
/// with Retry-After, on a clock the tests move by hand so nothing depends on how fast the machine is.
/// </summary>
public sealed class RateLimitTests
{
    private static readonly string[] Script = ["abc", "</think>", "\n\n", "answer"];
    private const string Chat = """{"messages":[{"role":"user","content":"hi"}],"max_tokens":3}""";

    [Fact]
    public async Task Requests_over_the_limit_get_429_with_retry_after_until_the_bucket_refills()
    {
        var clock = new ManualClock();
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script), new ServerOptions { RateLimitPerMinute = 2, Clock = clock });
        Assert.Equal(200, (await t.PostJsonAsync("/v1/chat/completions", Chat)).Status);
        Assert.Equal(200, (await t.PostJsonAsync("/v1/completions", """{"prompt":"x","max_tokens":2}""")).Status);

        using var refused = await t.PostAsync("/v1/chat/completions", Chat);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        // 2 per minute refill one request every 30 s.
        Assert.Equal("30", refused.Headers.GetValues("Retry-After").Single());
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("requests", error.GetProperty("type").GetString());
        Assert.Contains("2 requests per minute", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Health and metrics stay reachable for monitoring; the metrics count the refusal.
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync("/health")).StatusCode);
        Assert.Contains("status=\"429\"", await t.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromSeconds(20));
        using var early = await t.PostAsync("/v1/chat/completions", Chat);
        Assert.Equal(HttpStatusCode.TooManyRequests, early.StatusCode);
        Assert.Equal("10", early.Headers.GetValues("Retry-After").Single());
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(200, (await t.PostJsonAsync("/v1/chat/completions", Chat)).Status);
        await t.WaitIdleAsync();
    }

    [Fact]
    public async Task Ollama_routes_share_the_limit_and_answer_in_ollama_shape()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script), new ServerOptions { RateLimitPerMinute = 1, Clock = new ManualClock() });
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync("/api/tags")).StatusCode);
        using var refused = await t.PostAsync("/api/chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":false}""");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("60", refused.Headers.GetValues("Retry-After").Single());
        var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("rate limit", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_gets_401_without_spending_the_keys_budget()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script),
            new ServerOptions { RateLimitPerMinute = 1, ApiKey = "k", Clock = new ManualClock() });
        using var stranger = new HttpClient { BaseAddress = t.BaseAddress };
        stranger.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-k");
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await t.Http.GetAsync("/v1/models")).StatusCode);
    }

    [Fact]
    public async Task The_OpenAI_sdk_surfaces_429_as_its_ClientResultException()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script),
            new ServerOptions { RateLimitPerMinute = 1, ApiKey = "k", Clock = new ManualClock() });
        // The SDK retries 429 by itself (after Retry-After); without retries the refusal reaches the caller.
        var client = new ChatClient("scripted", new ApiKeyCredential("k"),
            new OpenAIClientOptions { Endpoint = new Uri(t.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });
        ChatCompletion first = await client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });
        Assert.InRange(first.Usage.OutputTokenCount, 1, 3);
        var e = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(429, e.Status);
        Assert.Contains("rate_limit_exceeded", e.Message, StringComparison.Ordinal);
        await t.WaitIdleAsync();
    }

    [Fact]
    public void Each_client_has_its_own_bucket_that_bursts_n_and_refills_n_per_minute()
    {
        var clock = new ManualClock();
        var limiter = new ClientRateLimiter(3, clock);
        for (int i = 0; i < 3; i++) Assert.True(limiter.TryAcquire("a", out _));
        Assert.False(limiter.TryAcquire("a", out int wait));
        Assert.Equal(20, wait);
        Assert.True(limiter.TryAcquire("b", out _));
        clock.Advance(TimeSpan.FromMinutes(5));                       // refills to 3, never beyond
        for (int i = 0; i < 3; i++) Assert.True(limiter.TryAcquire("a", out _));
        Assert.False(limiter.TryAcquire("a", out _));
    }

    /// <summary>A clock that only moves when told to.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = TimeSpan.FromHours(1).Ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
