using System.Text.Json;
using DeepSharp.Models;
using DeepSharp.Server.Backend;
using DeepSharp.Synth;

namespace DeepSharp.Server.Tests;

/// <summary>
/// Continuous batching on real (tiny, random-weight) qwen2 and deepseek2 models: concurrent greedy requests advance
/// together in batched decode steps, and each gets exactly the answer it gets alone.
/// </summary>
public sealed class BatchingTests : IDisposable
{
    private static readonly int[][] Prompts = [[70, 71], [5, 300, 7, 12, 250, 64, 3], [9], [400, 401, 402, 403]];
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsharp-batching-").FullName;

    [Theory]
    [InlineData("qwen2", "tiny-qwen2")]
    [InlineData("deepseek2", "tiny-deepseek2")]     // MLA latent caches + MoE, batched the same way
    public async Task Concurrent_greedy_requests_share_decode_steps_and_answer_as_they_do_alone(string arch, string preset)
    {
        string path = Path.Combine(_dir, preset + ".gguf");
        SynthModel.Write(new SynthOptions { Arch = arch, Preset = preset, FileType = "q8_0", Seed = 1 }, path);
        using var backend = new CountingBackend(ChatModelBackend.Load(path, new LoadOptions { Threads = 1, ContextSize = 256 }));
        await using var t = await TestServer.StartAsync(backend, new ServerOptions { Parallel = Prompts.Length });

        var alone = new List<string>();
        foreach (var prompt in Prompts) alone.Add(await CompleteAsync(t, prompt));
        Assert.Equal(0, backend.BatchedSteps);

        var together = await Task.WhenAll(Prompts.Select(p => CompleteAsync(t, p)));
        Assert.Equal(alone, together);
        Assert.True(backend.BatchedSteps > 0, "no decode step served two or more requests");
        await t.WaitIdleAsync();
    }

    private static async Task<string> CompleteAsync(TestServer t, int[] prompt)
    {
        string json = $$"""{"prompt":{{JsonSerializer.Serialize(prompt)}},"max_tokens":40,"temperature":0}""";
        var (status, body) = await t.PostJsonAsync("/v1/completions", json);
        Assert.Equal(200, status);
        var choice = body.GetProperty("choices")[0];
        return $"{choice.GetProperty("finish_reason").GetString()} {body.GetProperty("usage").GetProperty("completion_tokens").GetInt32()}: {choice.GetProperty("text").GetString()}";
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The real backend, counting batched steps of two or more slots; each step waits a little so that
    /// concurrent requests overlap however the HTTP requests happen to arrive.</summary>
    private sealed class CountingBackend(ChatModelBackend inner) : DelegatingBackend(inner)
    {
        private int _batched;

        public int BatchedSteps => Volatile.Read(ref _batched);

        public override void AppendEach(IReadOnlyList<ISequenceSlot> slots, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts)
        {
            if (slots.Count > 1) Interlocked.Increment(ref _batched);
            Thread.Sleep(5);
            base.AppendEach(slots, tokens, counts);
        }
    }
}
