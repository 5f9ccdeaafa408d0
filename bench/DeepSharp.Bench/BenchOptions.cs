using System.Globalization;
using DeepSharp.Synth;

namespace DeepSharp.Bench;

/// <summary>
/// Command line: <c>(--model FILE | --synth PRESET:TYPE) [--threads 2] [-p 512] [-n 128] [-d 0] [--reps 3]
/// [--skip-bandwidth] [--same-process]</c>; <c>-d</c> is llama-bench's depth: that many tokens are in the KV cache
/// (evaluated untimed) before each timed pp and tg; <c>--engine NAME</c> is the harness's own call of one engine in a child process. Or
/// <c>--stream-study [--threads 2] [--reps 3]</c>: no model, <see cref="DeepSharp.Bench.StreamStudy"/>'s rounds. Or
/// <c>--products-study (--model FILE | --synth PRESET:TYPE) [--threads 2] [--reps 3]</c>: <see cref="DeepSharp.Bench.ProductsStudy"/>'s rounds.
/// </summary>
internal sealed record BenchOptions(string ModelPath, int Threads, int NPrompt, int NGen, int Reps, bool SkipBandwidth,
    bool SameProcess = false, string? ChildEngine = null, bool StreamStudy = false, bool ProductsStudy = false)
{
    /// <summary>Tokens already in the KV cache when a timed pp or tg starts (llama-bench's <c>-d</c>).</summary>
    public int Depth { get; init; }

    /// <summary>The context both engines are created with: the depth plus the longer of the two tests.</summary>
    public int ContextSize => Depth + Math.Max(NPrompt, NGen);

    /// <summary>How the tests are named in the output: <c>pp512</c>, or <c>pp512 @ d2048</c> with a depth.</summary>
    public string TestName(string test, int n) => Depth == 0 ? $"{test}{n}" : $"{test}{n} @ d{Depth}";

    public const string Usage =
        "usage: DeepSharp.Bench (--model FILE | --synth PRESET:TYPE) [--threads 2] [-p 512] [-n 128] [-d 0] [--reps 3] [--skip-bandwidth] [--same-process]\n" +
        "       DeepSharp.Bench --stream-study [--threads 2] [--reps 3]\n" +
        "       DeepSharp.Bench --products-study (--model FILE | --synth PRESET:TYPE) [--threads 2] [--reps 3]";

    public static BenchOptions Parse(string[] args)
    {
        string? model = null, synth = null;
        int threads = 2, nPrompt = 512, nGen = 128, depth = 0, reps = 3;
        bool skipBandwidth = false, sameProcess = false, streamStudy = false, productsStudy = false;
        string? engine = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--model": model = Value(); break;
                case "--synth": synth = Value(); break;
                case "--threads": threads = Int(args[i], Value(), 1, 1024); break;
                case "-p": nPrompt = Int("-p", Value(), 1, 1 << 16); break;
                case "-n": nGen = Int("-n", Value(), 1, 1 << 16); break;
                case "-d": depth = Int("-d", Value(), 0, 1 << 17); break;
                case "--reps": reps = Int("--reps", Value(), 1, 1000); break;
                case "--skip-bandwidth": skipBandwidth = true; break;
                case "--same-process": sameProcess = true; break;
                case "--stream-study": streamStudy = true; break;
                case "--products-study": productsStudy = true; break;
                case "--engine": engine = EngineName(Value()); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        if (streamStudy)
            return model is null && synth is null
                ? new BenchOptions("", threads, nPrompt, nGen, reps, SkipBandwidth: true, StreamStudy: true)
                : throw new ArgumentException("--stream-study takes no model");
        if ((model is null) == (synth is null)) throw new ArgumentException("give exactly one of --model FILE and --synth PRESET:TYPE");
        string path = model ?? SynthesizeCached(synth!);
        if (!File.Exists(path)) throw new ArgumentException($"file not found: {path}");
        return new BenchOptions(path, threads, nPrompt, nGen, reps, skipBandwidth, sameProcess, engine, ProductsStudy: productsStudy) { Depth = depth };
    }

    private static string EngineName(string name) =>
        name is IsolatedRuns.DeepSharp or IsolatedRuns.LlamaCpp
            ? name
            : throw new ArgumentException($"--engine must be {IsolatedRuns.DeepSharp} or {IsolatedRuns.LlamaCpp}, got '{name}'");

    private static int Int(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{name} must be an integer between {min} and {max}, got '{text}'");

    /// <summary>Writes the synthetic model once into /tmp/deepsharp-bench (seed 1) and reuses it afterwards.</summary>
    private static string SynthesizeCached(string spec)
    {
        string[] parts = spec.Split(':');
        if (parts.Length != 2) throw new ArgumentException($"--synth must be PRESET:TYPE (e.g. r1-distill-qwen-1.5b:q4_k_m), got '{spec}'");
        string preset = parts[0].ToLowerInvariant(), type = parts[1].ToLowerInvariant();
        string dir = Path.Combine(Path.GetTempPath(), "deepsharp-bench");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"{preset}-{type}-seed1.gguf");
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"writing synthetic {preset} {type} to {path} ...");
            var options = new SynthOptions { Arch = SynthPresets.Get(preset).Arch, Preset = preset, FileType = type, Seed = 1 };
            SynthModel.Write(options, path);
        }
        return path;
    }
}
