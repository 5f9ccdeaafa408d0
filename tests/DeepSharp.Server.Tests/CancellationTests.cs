using System.Net.Http.Headers;
using System.Text;

namespace DeepSharp.Server.Tests;

/// <summary>A client that goes away stops its generation at once and frees the slot.</summary>
public sealed class CancellationTests
{
    private static readonly string[] Script = ["tok "];

    [Fact]
    public async Task Disconnecting_mid_stream_cancels_the_generation_and_frees_the_slot()
    {
        // A context so large that, uncancelled, the generation would run for minutes.
        var backend = new ScriptedBackend(Script, contextSize: 1 << 20) { Endless = true, StepDelayMs = 2 };
        await using var t = await TestServer.StartAsync(backend, new ServerOptions { Parallel = 1 });
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions"))
        {
            request.Content = new StringContent("""{"messages":[{"role":"user","content":"go"}],"stream":true,"max_tokens":100000}""", Encoding.UTF8, "application/json");
            using var response = await t.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            // The role chunk is written before the scheduler admits the job into a slot, so reading the first bytes
            // raced the admission on a loaded machine (BusySlots 0): wait for a generated token — the script's "tok ",
            // as reasoning or content — which only a job holding its slot produces.
            var seen = new StringBuilder();
            var buffer = new byte[256];
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!seen.ToString().Contains("\":\"tok", StringComparison.Ordinal))   // reasoning_content or content
            {
                int n = await stream.ReadAsync(buffer, deadline.Token);
                Assert.True(n > 0, $"the stream ended before a token: {seen}");
                seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
            Assert.Equal(1, t.Server.Scheduler.BusySlots);
        } // disposing the response aborts the connection
        await t.WaitIdleAsync();
        long generated = t.Server.Metrics.GeneratedTokens;
        await Task.Delay(100);
        Assert.Equal(generated, t.Server.Metrics.GeneratedTokens); // nothing runs for the departed client
        Assert.Contains("deepsharp_cancelled_total 1", await t.Http.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_non_streaming_request_and_a_cancelled_queued_request_both_free_their_places()
    {
        var backend = new ScriptedBackend(Script) { Endless = true, StepDelayMs = 2 };
        await using var t = await TestServer.StartAsync(backend, new ServerOptions { Parallel = 1, QueueCapacity = 4 });
        using var cts = new CancellationTokenSource();
        const string body = """{"messages":[{"role":"user","content":"go"}],"max_tokens":100000}""";
        var running = t.Http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), cts.Token);
        var queued = t.Http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), cts.Token);
        for (int i = 0; i < 200 && (t.Server.Scheduler.BusySlots < 1 || t.Server.Scheduler.QueueLength < 1); i++) await Task.Delay(10);
        Assert.Equal(1, t.Server.Scheduler.QueueLength);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await t.WaitIdleAsync();
        // The server still answers.
        var (status, _) = await t.PostJsonAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"go"}],"max_tokens":3}""");
        Assert.Equal(200, status);
    }
}
