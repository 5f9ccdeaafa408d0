using System.Globalization;
using DeepSharp.Synth;

namespace DeepSharp.LoadBench;

/// <summary>Command line of the load benchmark.</summary>
internal sealed record LoadOptionsCli(string ModelPath, int Threads, int Streams, int Tokens, int Reps, int Context, bool StepProfile, int? WindowMs)
{
    public const string Usage =
        "usage: DeepSharp.LoadBench [--model FILE | --synth PRESET:TYPE] [--threads 2] [--streams 4] [--tokens 24] [--reps 3] [--ctx 512] [--window-ms MS] [--step-profile]\n" +
        "  default model: --synth r1-distill-qwen-1.5b:q4_k_m (written once to /tmp/deepsharp-bench)\n" +
        "  --window-ms: the server's admission window (ServerOptions.AdmissionWindow; default: the server's)\n" +
        "  --step-profile: no server; time the batched decode step (1 vs --streams sessions) and each weight matrix's product";

    public static LoadOptionsCli Parse(string[] args)
    {
        string? model = null;
        string synth = "r1-distill-qwen-1.5b:q4_k_m";
        int threads = 2, streams = 4, tokens = 24, reps = 3, ctx = 512;
        bool stepProfile = false;
        int? windowMs = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--model": model = Value(); break;
                case "--synth": synth = Value(); break;
                case "--threads": threads = Int("--threads", Value(), 1, 256); break;
                case "--streams": streams = Int("--streams", Value(), 1, 64); break;
                case "--tokens": tokens = Int("--tokens", Value(), 1, 4096); break;
                case "--reps": reps = Int("--reps", Value(), 1, 100); break;
                case "--ctx": ctx = Int("--ctx", Value(), 64, 131072); break;
                case "--window-ms": windowMs = Int("--window-ms", Value(), 0, 1000); break;
                case "--step-profile": stepProfile = true; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new LoadOptionsCli(model ?? SynthesizeCached(synth), threads, streams, tokens, reps, ctx, stepProfile, windowMs);
    }

    private static int Int(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{name} must be an integer between {min} and {max}, got '{text}'");

    /// <summary>Writes the synthetic model once (seed 1) into /tmp/deepsharp-bench, the folder the side-by-side bench uses too.</summary>
    private static string SynthesizeCached(string spec)
    {
        string[] parts = spec.Split(':');
        if (parts.Length != 2) throw new ArgumentException($"--synth must be PRESET:TYPE, got '{spec}'");
        string preset = parts[0].ToLowerInvariant(), type = parts[1].ToLowerInvariant();
        string dir = Path.Combine(Path.GetTempPath(), "deepsharp-bench");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"{preset}-{type}-seed1.gguf");
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"writing synthetic {preset} {type} to {path} ...");
            string partial = path + ".loadbench.tmp";
            SynthModel.Write(new SynthOptions { Arch = SynthPresets.Get(preset).Arch, Preset = preset, FileType = type, Seed = 1 }, partial);
            File.Move(partial, path, overwrite: true);
        }
        return path;
    }
}
