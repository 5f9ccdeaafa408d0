using System.Net;
using System.Text;
using DeepSharp.Models;
using DeepSharp.Server.Backend;
using DeepSharp.Synth;

namespace DeepSharp.Server.Tests;

/// <summary>
/// A bounded load test on loopback: 16 clients for a few seconds against the real tiny model with 2 slots and a short
/// queue, mixing good, streamed, cancelled and malformed requests. It must end with no 5xx except deliberate 503s,
/// no stuck slot, and managed memory back near where it started.
/// </summary>
public sealed class LoadTests
{
    private static readonly string[] Bodies =
    [
        """{"messages":[{"role":"user","content":"Hello there"}],"max_tokens":6}""",
        """{"messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Why?"}],"max_tokens":4,"stream":true}""",
        """{"messages":[{"role":"user","content":"x"}],"max_tokens":3,"n":2,"logprobs":true,"top_logprobs":3}""",
        """{"messages":[{"role":"user","content":"x"}],"temperature":"warm"}""",
        """{"messages":[{"role":"pirate","content":"arr"}]}""",
        """{"messages":[{"role":"user","content":"x"}""",
        """{"prompt":"Once upon","max_tokens":5}""",
    ];

    [Fact]
    public async Task Sixteen_clients_of_mixed_cancelled_and_malformed_requests_leave_no_5xx_no_stuck_slot_and_no_leak()
    {
        string dir = Path.Combine(Path.GetTempPath(), "deepsharp-load-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "tiny.gguf");
            SynthModel.Write(new SynthOptions { Arch = "qwen2", Preset = "tiny-qwen2", FileType = "q8_0", Seed = 3 }, path);
            using var backend = ChatModelBackend.Load(path, new LoadOptions { Threads = 1, ContextSize = 128 });
            await using var t = await TestServer.StartAsync(backend, new ServerOptions { Parallel = 2, QueueCapacity = 4 });

            await RunClientsAsync(t, clients: 4, TimeSpan.FromSeconds(1)); // warm-up: JIT, pools, caches
            await t.WaitIdleAsync();
            long baseline = ManagedMemory();

            var statuses = await RunClientsAsync(t, clients: 16, TimeSpan.FromSeconds(8));
            await t.WaitIdleAsync();

            Assert.DoesNotContain(statuses, s => s >= 500 && s != 503);
            Assert.Contains(200, statuses);
            Assert.Contains(400, statuses);
            long after = ManagedMemory();
            Assert.True(after - baseline < 32 << 20, $"managed memory grew from {baseline} to {after} bytes");
            var (status, _) = await t.PostJsonAsync("/v1/chat/completions", Bodies[0]); // still healthy
            Assert.Equal(200, status);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<List<int>> RunClientsAsync(TestServer t, int clients, TimeSpan duration)
    {
        var statuses = new List<int>();
        var until = DateTime.UtcNow + duration;
        var tasks = Enumerable.Range(0, clients).Select(async client =>
        {
            var rng = new Random(client);
            while (DateTime.UtcNow < until)
            {
                int status = await OneRequestAsync(t, rng);
                lock (statuses) statuses.Add(status);
            }
        });
        await Task.WhenAll(tasks);
        return statuses;
    }

    /// <summary>One request; every fourth is cancelled by the client after a few milliseconds (status 0).</summary>
    private static async Task<int> OneRequestAsync(TestServer t, Random rng)
    {
        string body = Bodies[rng.Next(Bodies.Length)];
        string path = body.Contains("\"prompt\"", StringComparison.Ordinal) ? "/v1/completions" : "/v1/chat/completions";
        using var cts = new CancellationTokenSource();
        if (rng.Next(4) == 0) cts.CancelAfter(rng.Next(1, 30));
        try
        {
            using var response = await t.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), cts.Token);
            await response.Content.ReadAsStringAsync(cts.Token);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable) await Task.Delay(20);
            return (int)response.StatusCode;
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    private static long ManagedMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
