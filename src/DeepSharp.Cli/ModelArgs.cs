using DeepSharp.Kernels.Attention;
using DeepSharp.Models;
using DeepSharp.Sampling;

namespace DeepSharp.Cli;

/// <summary>Options shared by the commands that load a model and sample from it.</summary>
internal static class ModelArgs
{
    /// <summary>Options that take a value: loading (--model, --threads, --ctx, --kv-type) and sampling.</summary>
    public static readonly string[] Valued =
    [
        "model", "threads", "ctx", "kv-type",
        "temperature", "top-k", "top-p", "min-p", "repeat-penalty", "presence-penalty", "frequency-penalty", "seed",
    ];

    /// <summary>The shipped default model (DeepSharp's own tiny reasoning model, docs/MODEL_CARD.md).</summary>
    public const string DefaultModelRelativePath = "assets/deepsharp-r1-tiny.gguf";

    /// <summary>
    /// --model when given; otherwise the shipped default model, looked for beside the program (copied there by the
    /// build) and then in every folder above the program and above the current directory (a source checkout).
    /// </summary>
    public static string ModelPath(CliArgs a)
    {
        if (a.Has("model")) return a.RequireExistingFile("model");
        return FindDefaultModel()
            ?? throw new CliException($"no --model given and the default model {DefaultModelRelativePath} was not found (train it: docs/MODEL_CARD.md)");
    }

    internal static string? FindDefaultModel()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, DefaultModelRelativePath);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    public static LoadOptions Load(CliArgs a) => new()
    {
        Threads = a.GetInt("threads", Environment.ProcessorCount, 1, 1024),
        ContextSize = a.GetInt("ctx", 0, 0, 1 << 22),
        KvType = a.GetString("kv-type") switch
        {
            null or "f16" => KvType.F16,
            "f32" => KvType.F32,
            "q8_0" => KvType.Q8_0,
            string other => throw new CliException($"--kv-type must be f16, f32 or q8_0, got '{other}'"),
        },
    };

    /// <summary>The model's defaults with what the command line overrides.</summary>
    public static SamplingOptions Sampling(CliArgs a, SamplingOptions defaults)
    {
        var s = defaults;
        if (a.GetFloat("temperature", 0, 100) is float t) s = s with { Temperature = t };
        if (a.Has("top-k")) s = s with { TopK = a.GetInt("top-k", 0, 0, int.MaxValue) };
        if (a.GetFloat("top-p", 0, 1) is float p) s = s with { TopP = p };
        if (a.GetFloat("min-p", 0, 1) is float m) s = s with { MinP = m };
        if (a.GetFloat("repeat-penalty", 0.01f, 100) is float r) s = s with { RepeatPenalty = r };
        if (a.GetFloat("presence-penalty", -100, 100) is float pp) s = s with { PresencePenalty = pp };
        if (a.GetFloat("frequency-penalty", -100, 100) is float fp) s = s with { FrequencyPenalty = fp };
        if (a.GetULong("seed") is ulong seed) s = s with { Seed = seed };
        return s;
    }
}
