using System.Globalization;
using DeepSharp.Synth;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp synth --arch qwen2|llama|deepseek2 --preset NAME --type TYPE --out FILE [--seed S] [--vocab tokenizer.json]</c>:
/// a seeded random-weight GGUF in a real model's exact shape (real weights cannot be downloaded on our test machines).
/// </summary>
internal static class SynthCommand
{
    public static int Run(string[] args, TextWriter stdout)
    {
        var a = CliArgs.Parse("synth", args, ["arch", "preset", "type", "out", "seed", "vocab", "threads"], []);
        string outPath = a.Require("out");
        string preset = a.Require("preset");
        if (!SynthPresets.Names.Contains(preset))
            throw new CliException($"synth: unknown preset '{preset}' (known: {string.Join(", ", SynthPresets.Names)})");
        if (a.GetString("vocab") is { } vocab && !File.Exists(vocab)) throw new CliException($"synth: file not found: {vocab}");
        var options = new SynthOptions
        {
            Arch = a.GetString("arch"),
            Preset = preset,
            FileType = a.GetString("type") ?? "f16",
            Seed = a.GetULong("seed") ?? 42,
            VocabPath = a.GetString("vocab"),
            Threads = a.GetInt("threads", Environment.ProcessorCount, 1, 1024),
        };
        var plan = SynthModel.Write(options, outPath);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {outPath}: {plan.Shape.Arch} {preset}, {plan.FileType}, {plan.ParameterCount / 1e6:0.0} M parameters, {plan.TensorBytes / 1048576.0:0.0} MiB of weights, seed {options.Seed}"));
        return 0;
    }
}
