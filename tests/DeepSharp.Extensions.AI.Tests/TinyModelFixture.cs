using DeepSharp.Extensions.AI;
using DeepSharp.Models;
using DeepSharp.Synth;
using Microsoft.Extensions.AI;

namespace DeepSharp.Extensions.AI.Tests;

/// <summary>
/// A tiny random-weight R1-Distill-Qwen-shaped model (DeepSharp.Synth, tiny-qwen2, Q8_0, seed 1) with the real
/// R1 chat template, loaded once behind an <see cref="IChatClient"/>. Random weights never close the thinking block
/// the template opens, so everything this model says is reasoning.
/// </summary>
public sealed class TinyModelFixture : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsharp-meai-").FullName;

    public TinyModelFixture()
    {
        string path = Path.Combine(_dir, "tiny-qwen2.gguf");
        SynthModel.Write(new SynthOptions { Arch = "qwen2", Preset = "tiny-qwen2", FileType = "q8_0", Seed = 1 }, path);
        Client = DeepSharpChatClient.Load(path, new LoadOptions { Threads = 1, ContextSize = 256 });
    }

    /// <summary>The client, seen only through the abstraction.</summary>
    public IChatClient Client { get; }

    public void Dispose()
    {
        Client.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
