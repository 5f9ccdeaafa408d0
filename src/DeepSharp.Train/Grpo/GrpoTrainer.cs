using DeepSharp.Gguf;
using DeepSharp.Reasoning;
using DeepSharp.Reasoning.Tasks;
using DeepSharp.Train.Autograd;
using DeepSharp.Train.Export;
using DeepSharp.Train.Logging;
using DeepSharp.Train.Modeling;
using DeepSharp.Train.Optim;
using DeepSharp.Train.Sft;
using DeepSharp.Train.Training;

namespace DeepSharp.Train.Grpo;

/// <summary>What one GRPO step measured.</summary>
public sealed record GrpoStepStats(double Reward, double Accuracy, double Format, double MeanLength, double Loss, double Kl, double ClipFraction, float GradNorm);

/// <summary>
/// GRPO (spec §D.1): per step, sample questions, let the engine write G completions of each with the current policy,
/// score them with the task's rule-based rewards, normalise within each group, and take AdamW steps on the clipped
/// ratio objective with a k3 KL penalty to the frozen initial model.
/// </summary>
public static class GrpoTrainer
{
    public static TransformerModel Run(GrpoOptions o, TextWriter progress, bool interactive, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(warn);
        IReasoningTask task = TaskRegistry.Get(o.Task);
        TransformerModel reference = ModelFile.Read(o.InitPath, out GgufMetadata metadata);
        var format = new ChatFormat(metadata);
        RunFiles files = RunFiles.For(o.OutPath);
        (TransformerModel policy, AdamW optimizer, int first) = Start(o, reference, files, warn);
        var schedule = new LrSchedule(o.LearningRate, o.WarmupSteps, o.Steps, MinRatio: 1f);
        string policyFile = files.Checkpoint + ".policy.gguf";
        try
        {
            using var log = new RunLog(files.Log, files.Plot, progress, interactive, o.Steps, first);
            for (int step = first; step < o.Steps; step++)
            {
                ModelFile.Write(policy, policyFile, metadata);
                GrpoStepStats s = Step(o, task, format, policy, o.Beta > 0 ? reference : null, optimizer, policyFile, schedule.At(step), step);
                log.Step(step, [("reward", s.Reward), ("accuracy", s.Accuracy), ("response_length", s.MeanLength), ("loss", s.Loss),
                    ("format", s.Format), ("kl", s.Kl), ("clip_fraction", s.ClipFraction), ("grad_norm", s.GradNorm)]);
                if ((step + 1) % o.CheckpointEvery == 0 || step + 1 == o.Steps)
                {
                    Checkpoint.Save(files.Checkpoint, policy, optimizer, step + 1);
                    log.Plot();
                }
            }

            log.Plot();
        }
        finally
        {
            File.Delete(policyFile);
        }

        string name = metadata.GetStringOrNull("general.name") ?? "DeepSharp R1 Tiny";
        ModelFile.Write(policy, o.OutPath, ModelFile.WithDescription(metadata, name, ModelFile.DefaultDescription));
        return policy;
    }

    private static (TransformerModel, AdamW, int) Start(GrpoOptions o, TransformerModel reference, RunFiles files, Action<string> warn)
    {
        if (o.Resume && File.Exists(files.Checkpoint))
        {
            CheckpointData c = Checkpoint.Load(files.Checkpoint);
            warn($"resuming from {files.Checkpoint} at step {c.NextStep}");
            return (c.Model, c.Optimizer, c.NextStep);
        }

        TransformerModel policy = reference.Clone();
        return (policy, new AdamW(policy.Parameters, new AdamWOptions { WeightDecay = 0f }), 0);
    }

    /// <summary>One GRPO step; questions and samples depend only on (seed, step), so resumed runs repeat them.</summary>
    internal static GrpoStepStats Step(GrpoOptions o, IReasoningTask task, ChatFormat format, TransformerModel policy,
        TransformerModel? reference, AdamW optimizer, string policyFile, float lr, int step)
    {
        var rng = new Random(unchecked(o.Seed * 1_000_003 + step));
        Problem[] problems = [.. Enumerable.Range(0, o.PromptsPerStep).Select(_ => task.Generate(rng))];
        int[][] prompts = [.. problems.Select(p => format.EncodePrompt(p.Question))];
        List<int[]> completions = Rollouts.Generate(policyFile, prompts, o.GroupSize, o.Temperature, o.MaxNewTokens, format.Eos, rng, o.Threads);

        int n = completions.Count;
        var rewards = new double[n];
        double accuracy = 0, formatted = 0;
        for (int i = 0; i < n; i++)
        {
            string text = format.Decode(completions[i]);
            double acc = Rewards.Accuracy(task, problems[i / o.GroupSize], text), fmt = Rewards.Format(text);
            rewards[i] = acc + o.FormatWeight * fmt;
            accuracy += acc;
            formatted += fmt;
        }

        double[] advantages = GrpoMath.Advantages(rewards, o.GroupSize, o.ScaleRewards);
        var examples = new List<Example>(n);
        for (int i = 0; i < n; i++)
        {
            examples.Add(new Example(prompts[i / o.GroupSize], completions[i]));
        }

        var update = new PolicyUpdate(o, policy, reference, examples, advantages);
        (double loss, double kl, double clipFraction, float norm) = (0, 0, 0, 0);
        for (int it = 0; it < o.Iterations; it++)
        {
            (loss, kl, clipFraction) = update.AccumulateGradients(it);
            norm = GradClip.ClipGlobalNorm(policy.Parameters, o.ClipNorm);
            optimizer.Update(lr);
            policy.ZeroGrad();
        }

        return new GrpoStepStats(rewards.Average(), accuracy / n, formatted / n, completions.Average(c => c.Length), loss, kl, clipFraction, norm);
    }
}
