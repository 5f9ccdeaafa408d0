using DeepSharp.Models;
using DeepSharp.Server.Backend;
using DeepSharp.Synth;

namespace DeepSharp.Server.Tests;

/// <summary>
/// A tiny random-weight qwen2 GGUF with R1's chat template (generation starts inside &lt;think&gt;), written once per test
/// class, and two servers over it: the default DeepSeek reasoning format and <c>none</c> (everything in content, so the
/// SDKs that have no reasoning field still see text).
/// </summary>
public sealed class SynthModelFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "deepsharp-server-" + Guid.NewGuid().ToString("N"));

    internal ChatModelBackend Backend { get; private set; } = null!;
    internal TestServer DeepSeek { get; private set; } = null!;
    internal TestServer PlainContent { get; private set; } = null!;
    public const string ApiKey = "test-key";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "tiny-qwen2.gguf");
        SynthModel.Write(new SynthOptions { Arch = "qwen2", Preset = "tiny-qwen2", FileType = "q8_0", Seed = 1 }, path);
        Backend = ChatModelBackend.Load(path, new LoadOptions { Threads = 1, ContextSize = 256 }, "tiny-r1");
        DeepSeek = await TestServer.StartAsync(Backend, new ServerOptions { Parallel = 2, ApiKey = ApiKey });
        PlainContent = await TestServer.StartAsync(Backend, new ServerOptions { ApiKey = ApiKey, ReasoningFormat = Scheduling.ReasoningFormat.None });
    }

    public async Task DisposeAsync()
    {
        await DeepSeek.DisposeAsync();
        await PlainContent.DisposeAsync();
        Backend.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
