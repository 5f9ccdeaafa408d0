using DeepSharp.Reasoning.Tasks;
using DeepSharp.Train.Data;
using DeepSharp.Train.Export;
using DeepSharp.Train.Logging;
using DeepSharp.Train.Modeling;
using DeepSharp.Train.Optim;
using DeepSharp.Train.Training;

namespace DeepSharp.Train.Sft;

/// <summary>What <c>deepsharp train sft</c> does.</summary>
public sealed record SftOptions
{
    /// <summary>Tasks whose teachers write the cold-start traces (ignored for the data when <see cref="DataPath"/> is set).</summary>
    public IReadOnlyList<string> Tasks { get; init; } = ["arithmetic"];

    /// <summary>Trace JSONL to learn from instead of the teachers.</summary>
    public string? DataPath { get; init; }

    /// <summary>Teacher traces generated per task.</summary>
    public int TeacherSamples { get; init; } = 2000;

    public string Size { get; init; } = "small";

    public int Steps { get; init; } = 100;

    /// <summary>Sequences per optimizer step.</summary>
    public int BatchSize { get; init; } = 16;

    public float LearningRate { get; init; } = 2e-3f;

    /// <summary>Warmup steps (default 5% of the run).</summary>
    public int? WarmupSteps { get; init; }

    public float ClipNorm { get; init; } = 1f;

    public int Seed { get; init; } = 1;

    public int Threads { get; init; } = 2;

    /// <summary>Sequences longer than this many tokens (prompt + completion) are left out.</summary>
    public int MaxSequenceTokens { get; init; } = 512;

    public required string OutPath { get; init; }

    public int CheckpointEvery { get; init; } = 50;

    /// <summary>Stop (checkpoint saved) before this step although the schedule runs to <see cref="Steps"/>; null: run to the end.</summary>
    public int? StopAt { get; init; }

    /// <summary>Continue from <c>OUT.ckpt</c> when it exists.</summary>
    public bool Resume { get; init; }

    public bool SkipBadLines { get; init; }

    public string ModelName { get; init; } = "DeepSharp R1 Tiny";
}

/// <summary>Cold-start supervised fine-tuning of a fresh model on reasoning traces; writes a GGUF, a log, a plot, checkpoints.</summary>
public static class SftTrainer
{
    public static TransformerModel Run(SftOptions o, TextWriter progress, bool interactive, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(warn);
        ModelConfig config = ModelConfig.Preset(o.Size);
        string mergeText = TaskVocabulary.MergeText;
        ChatFormat format = ChatFormat.For(config, mergeText);
        List<Example> pool = BuildPool(o, format, warn);
        RunFiles files = RunFiles.For(o.OutPath);

        (TransformerModel model, AdamW optimizer, int first) = Start(o, config, files, warn);
        var schedule = new LrSchedule(o.LearningRate, o.WarmupSteps ?? Math.Max(1, o.Steps / 20), o.Steps);
        int end = Math.Min(o.Steps, o.StopAt ?? o.Steps);
        using (var log = new RunLog(files.Log, files.Plot, progress, interactive, o.Steps, first))
        {
            for (int step = first; step < end; step++)
            {
                PackedBatch batch = PackedBatch.Pack(SampleBatch(pool, o.BatchSize, o.Seed, step));
                StepStats s = SftStep.Run(model, optimizer, batch, schedule.At(step), o.ClipNorm, o.Threads);
                log.Step(step, [("loss", s.Loss), ("lr", s.LearningRate), ("grad_norm", s.GradNorm), ("tokens", s.Tokens)]);
                if ((step + 1) % o.CheckpointEvery == 0 || step + 1 == end)
                {
                    Checkpoint.Save(files.Checkpoint, model, optimizer, step + 1);
                    log.Plot();
                }
            }

            log.Plot();
        }

        if (end < o.Steps)
        {
            warn($"stopped before step {end} of {o.Steps}; continue with --resume");
            return model;
        }

        ModelFile.Write(model, o.OutPath, ModelFile.Metadata(config, o.ModelName, mergeText));
        return model;
    }

    private static (TransformerModel, AdamW, int) Start(SftOptions o, ModelConfig config, RunFiles files, Action<string> warn)
    {
        if (o.Resume && File.Exists(files.Checkpoint))
        {
            CheckpointData c = Checkpoint.Load(files.Checkpoint);
            if (c.Model.Config != config)
            {
                throw new InvalidOperationException($"{files.Checkpoint} holds a model of another size; remove it or drop --resume.");
            }

            warn($"resuming from {files.Checkpoint} at step {c.NextStep}");
            return (c.Model, c.Optimizer, c.NextStep);
        }

        TransformerModel model = TransformerModel.Create(config, o.Seed);
        return (model, new AdamW(model.Parameters), 0);
    }

    private static List<Example> BuildPool(SftOptions o, ChatFormat format, Action<string> warn)
    {
        List<Trace> traces = o.DataPath is not null
            ? TraceFile.Read(o.DataPath, o.SkipBadLines, warn)
            : TeacherData.Generate([.. o.Tasks.Select(TaskRegistry.Get)], o.TeacherSamples, o.Seed);
        var pool = new List<Example>(traces.Count);
        int tooLong = 0;
        foreach (Trace t in traces)
        {
            var e = new Example(format.EncodePrompt(t.Question), format.EncodeCompletion(t.Question, t.Response));
            if (e.Prompt.Length + e.Completion.Length > o.MaxSequenceTokens)
            {
                tooLong++;
                continue;
            }

            pool.Add(e);
        }

        if (tooLong > 0)
        {
            warn($"left out {tooLong} of {traces.Count} traces longer than {o.MaxSequenceTokens} tokens");
        }

        return pool.Count > 0 ? pool : throw new InvalidOperationException("No training sequences.");
    }

    /// <summary>The batch of a step depends only on (seed, step), so a resumed run sees what the first run would have.</summary>
    internal static List<Example> SampleBatch(IReadOnlyList<Example> pool, int size, int seed, int step)
    {
        var rng = new Random(unchecked(seed * 1_000_003 + step));
        return [.. Enumerable.Range(0, size).Select(_ => pool[rng.Next(pool.Count)])];
    }
}

/// <summary>The files of a run next to its output model: OUT.ckpt, OUT.log.jsonl, OUT.png.</summary>
public sealed record RunFiles(string Checkpoint, string Log, string Plot)
{
    public static RunFiles For(string outPath)
    {
        string stem = outPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? outPath[..^5] : outPath;
        return new RunFiles(stem + ".ckpt", stem + ".log.jsonl", stem + ".png");
    }
}
