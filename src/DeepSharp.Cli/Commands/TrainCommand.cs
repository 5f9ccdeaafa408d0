using System.Globalization;
using DeepSharp.Train.Data;
using DeepSharp.Train.Grpo;
using DeepSharp.Train.Sft;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp train sft|grpo ...</c>: the R1 recipe at small scale — cold-start SFT on teacher traces, then GRPO with
/// rule-based rewards. Each run writes OUT.gguf, OUT.log.jsonl (one line per step), OUT.png (curves) and OUT.ckpt.
/// </summary>
internal static class TrainCommand
{
    private static readonly string[] Common =
        ["task", "steps", "out", "seed", "threads", "lr", "warmup", "checkpoint-every", "batch"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is not ("sft" or "grpo" or "eval"))
            throw new CliException("train: say 'train sft ...', 'train grpo ...' or 'train eval ...' (see deepsharp --help)");
        bool interactive = !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error);
        try
        {
            return args[0] switch
            {
                "sft" => Sft(args[1..], stdout, stderr, interactive),
                "grpo" => Grpo(args[1..], stdout, stderr, interactive),
                _ => Eval(args[1..], stdout),
            };
        }
        catch (TraceFormatException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static string[] Tasks(CliArgs a) =>
        (a.GetString("task") ?? "arithmetic").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Sft(string[] args, TextWriter stdout, TextWriter stderr, bool interactive)
    {
        var a = CliArgs.Parse("train sft", args,
            [.. Common, "data", "teacher-samples", "config", "max-tokens", "clip", "stop-at"], ["resume", "skip-bad-lines"]);
        if (a.Has("data") && a.Has("teacher-samples"))
            throw new CliException("train sft: give --data FILE or --teacher-samples N, not both");
        var o = new SftOptions
        {
            Tasks = Tasks(a),
            DataPath = a.Has("data") ? a.RequireExistingFile("data") : null,
            TeacherSamples = a.GetInt("teacher-samples", 2000, 1, 10_000_000),
            Size = a.GetString("config") ?? "small",
            Steps = a.GetInt("steps", 200, 1, 10_000_000),
            BatchSize = a.GetInt("batch", 16, 1, 4096),
            LearningRate = a.GetFloat("lr", 1e-7f, 1f) ?? 2e-3f,
            WarmupSteps = a.Has("warmup") ? a.GetInt("warmup", 0, 0, 10_000_000) : null,
            ClipNorm = a.GetFloat("clip", 0f, 1e6f) ?? 1f,
            Seed = a.GetInt("seed", 1, 0, int.MaxValue),
            Threads = a.GetInt("threads", Environment.ProcessorCount, 1, 1024),
            MaxSequenceTokens = a.GetInt("max-tokens", 512, 8, 1 << 20),
            OutPath = a.Require("out"),
            CheckpointEvery = a.GetInt("checkpoint-every", 50, 1, int.MaxValue),
            StopAt = a.Has("stop-at") ? a.GetInt("stop-at", 0, 1, int.MaxValue) : null,
            Resume = a.Has("resume"),
            SkipBadLines = a.Has("skip-bad-lines"),
        };
        var started = DateTime.UtcNow;
        var model = SftTrainer.Run(o, stderr, interactive, m => stderr.WriteLine($"train sft: {m}"));
        if (o.StopAt < o.Steps) return 0;   // checkpoint only; the model file comes with the run's last step
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {o.OutPath}: {o.Size}, {model.ParameterCount / 1e6:0.00} M parameters, {o.Steps} steps in {(DateTime.UtcNow - started).TotalMinutes:0.0} min"));
        return 0;
    }

    private static int Grpo(string[] args, TextWriter stdout, TextWriter stderr, bool interactive)
    {
        var a = CliArgs.Parse("train grpo", args,
            [.. Common, "init", "group-size", "prompts", "beta", "epsilon", "epsilon-high", "loss", "temperature",
             "max-new-tokens", "format-weight", "iterations", "scale-rewards", "micro-batch"], ["resume"]);
        var o = new GrpoOptions
        {
            Task = a.GetString("task") ?? "arithmetic",
            InitPath = a.RequireExistingFile("init"),
            OutPath = a.Require("out"),
            GroupSize = a.GetInt("group-size", 8, 2, 1024),
            PromptsPerStep = a.GetInt("prompts", 8, 1, 4096),
            Steps = a.GetInt("steps", 50, 1, 10_000_000),
            LearningRate = a.GetFloat("lr", 1e-8f, 1f) ?? 2e-4f,
            WarmupSteps = a.GetInt("warmup", 0, 0, 10_000_000),
            Beta = a.GetFloat("beta", 0f, 100f) ?? 0.04f,
            EpsilonLow = a.GetFloat("epsilon", 0f, 10f) ?? 0.2f,
            EpsilonHigh = a.GetFloat("epsilon-high", 0f, 10f) ?? a.GetFloat("epsilon", 0f, 10f) ?? 0.2f,
            Aggregation = a.GetString("loss") switch
            {
                null or "grpo" or "sequence" => LossAggregation.Sequence,
                "dapo" or "token" or "dr_grpo" => LossAggregation.Token,
                string other => throw new CliException($"train grpo: --loss must be grpo (per sequence) or dapo (per token), got '{other}'"),
            },
            ScaleRewards = a.GetString("scale-rewards") switch
            {
                null or "group" => true,
                "none" => false,
                string other => throw new CliException($"train grpo: --scale-rewards must be group or none, got '{other}'"),
            },
            Temperature = a.GetFloat("temperature", 0.05f, 10f) ?? 1f,
            MaxNewTokens = a.GetInt("max-new-tokens", 320, 1, 1 << 20),
            FormatWeight = a.GetFloat("format-weight", 0f, 10f) ?? 0.1f,
            Iterations = a.GetInt("iterations", 1, 1, 64),
            MicroBatch = a.GetInt("micro-batch", 16, 1, 4096),
            Seed = a.GetInt("seed", 1, 0, int.MaxValue),
            Threads = a.GetInt("threads", Environment.ProcessorCount, 1, 1024),
            CheckpointEvery = a.GetInt("checkpoint-every", 10, 1, int.MaxValue),
            Resume = a.Has("resume"),
        };
        var started = DateTime.UtcNow;
        GrpoTrainer.Run(o, stderr, interactive, m => stderr.WriteLine($"train grpo: {m}"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {o.OutPath}: {o.Steps} GRPO steps on {o.Task} in {(DateTime.UtcNow - started).TotalMinutes:0.0} min"));
        return 0;
    }

    private static int Eval(string[] args, TextWriter stdout)
    {
        var a = CliArgs.Parse("train eval", args, ["model", "task", "limit", "max-new-tokens", "temperature", "seed", "threads", "summary"], []);
        string model = a.RequireExistingFile("model");
        var r = TaskEvaluation.Run(model, a.GetString("task") ?? "arithmetic", a.GetInt("limit", 200, 1, 1_000_000),
            a.GetInt("max-new-tokens", 512, 1, 1 << 20), a.GetFloat("temperature", 0f, 10f) ?? 0f,
            a.GetInt("seed", 1, 0, int.MaxValue), a.GetInt("threads", Environment.ProcessorCount, 1, 1024));
        string json = System.Text.Json.JsonSerializer.Serialize(new
        {
            task = r.Task, n = r.N, correct = r.Correct, accuracy = r.Accuracy, ci_low = r.CiLow, ci_high = r.CiHigh,
            format_rate = r.FormatRate, mean_length = r.MeanLength,
        });
        if (a.GetString("summary") is { } summary) File.WriteAllText(summary, json + "\n");
        stdout.WriteLine(json);
        return 0;
    }
}
