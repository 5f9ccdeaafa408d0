using DeepSharp.Runtime;
using DeepSharp.Server;
using DeepSharp.Server.Backend;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp serve --model FILE</c>: the OpenAI/DeepSeek/Ollama-compatible HTTP server on Kestrel, loopback unless
/// told otherwise. Runs until Ctrl+C / SIGTERM.
/// </summary>
internal static class ServeCommand
{
    private static readonly string[] Valued =
        [.. ModelArgs.Valued, "host", "port", "parallel", "queue", "api-key", "api-key-file", "reasoning-format", "alias", "rate-limit"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = CliArgs.Parse("serve", args, Valued, []);
        string path = ModelArgs.ModelPath(a);
        var options = new ServerOptions
        {
            Host = a.GetString("host") ?? "127.0.0.1",
            Port = a.GetInt("port", 8080, 0, 65535),
            Parallel = a.GetInt("parallel", 1, 1, 64),
            QueueCapacity = a.GetInt("queue", 16, 0, 10_000),
            ApiKey = ApiKey(a),
            RateLimitPerMinute = a.GetInt("rate-limit", 0, 0, 1_000_000),
            ReasoningFormat = ParseReasoningFormat(a.GetString("reasoning-format")),
        };
        _ = options.Address; // a bad --host fails before the model loads
        if (options.IsExposedWithoutKey)
            stderr.WriteLine($"deepsharp: warning: listening on {options.Host} (reachable from other machines) without an API key; pass --api-key or --api-key-file");

        var load = ModelArgs.Load(a);
        var model = ChatModel.Load(path, load);
        var backend = new ChatModelBackend(model, a.GetString("alias") ?? Path.GetFileNameWithoutExtension(path),
            ModelArgs.Sampling(a, model.DefaultSampling));
        DeepSharpServer server;
        try
        {
            server = DeepSharpServer.StartAsync(backend, options, ownsBackend: true).GetAwaiter().GetResult();
        }
        catch
        {
            backend.Dispose();
            throw;
        }
        try
        {
            stdout.WriteLine($"deepsharp: serving {backend.ModelId} on {server.BaseAddress} ({options.Parallel} slot(s) × {backend.ContextSize} context; Ctrl+C to stop)");
            stdout.WriteLine($"  OpenAI: {server.BaseAddress}v1   Ollama: {server.BaseAddress}api   web page: {server.BaseAddress}");
            server.WaitForShutdownAsync().GetAwaiter().GetResult();
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return 0;
    }

    private static string? ApiKey(CliArgs a)
    {
        string? key = a.GetString("api-key");
        if (a.GetString("api-key-file") is not { } file) return key;
        if (key is not null) throw new CliException("serve: pass --api-key or --api-key-file, not both");
        if (!File.Exists(file)) throw new CliException($"serve: file not found: {file}");
        key = File.ReadAllText(file).Trim();
        return key.Length > 0 ? key : throw new CliException($"serve: the API key file {file} is empty");
    }

    private static Server.Scheduling.ReasoningFormat ParseReasoningFormat(string? text) => text switch
    {
        null => Server.Scheduling.ReasoningFormat.DeepSeek,
        "deepseek" => Server.Scheduling.ReasoningFormat.DeepSeek,
        "none" => Server.Scheduling.ReasoningFormat.None,
        "deepseek-legacy" => Server.Scheduling.ReasoningFormat.DeepSeekLegacy,
        _ => throw new CliException($"serve: --reasoning-format must be deepseek, none or deepseek-legacy, got '{text}'"),
    };
}
