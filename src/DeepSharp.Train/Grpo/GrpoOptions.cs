namespace DeepSharp.Train.Grpo;

/// <summary>What <c>deepsharp train grpo</c> does (defaults follow TRL where it has one; spec §D.1).</summary>
public sealed record GrpoOptions
{
    public string Task { get; init; } = "arithmetic";

    /// <summary>The SFT model to start from; also the frozen reference of the KL term.</summary>
    public required string InitPath { get; init; }

    public required string OutPath { get; init; }

    /// <summary>G: completions sampled per question.</summary>
    public int GroupSize { get; init; } = 8;

    /// <summary>Questions per step (the batch holds PromptsPerStep × GroupSize completions).</summary>
    public int PromptsPerStep { get; init; } = 8;

    public int Steps { get; init; } = 50;

    public float LearningRate { get; init; } = 2e-4f;

    public int WarmupSteps { get; init; }

    /// <summary>β of the k3 KL estimate to the reference; 0 skips the reference entirely.</summary>
    public float Beta { get; init; } = 0.04f;

    public float EpsilonLow { get; init; } = 0.2f;

    public float EpsilonHigh { get; init; } = 0.2f;

    public LossAggregation Aggregation { get; init; } = LossAggregation.Sequence;

    /// <summary>Divide by the group's standard deviation (GRPO) or only centre (Dr. GRPO).</summary>
    public bool ScaleRewards { get; init; } = true;

    /// <summary>Sampling temperature of the rollouts, also applied when log-probabilities are recomputed.</summary>
    public float Temperature { get; init; } = 1f;

    public int MaxNewTokens { get; init; } = 320;

    /// <summary>reward = accuracy + FormatWeight · format.</summary>
    public float FormatWeight { get; init; } = 0.1f;

    /// <summary>μ: policy updates per batch of rollouts (ρ = 1 on the first).</summary>
    public int Iterations { get; init; } = 1;

    /// <summary>Sequences per forward/backward pass (gradients accumulate over the batch).</summary>
    public int MicroBatch { get; init; } = 16;

    public float ClipNorm { get; init; } = 1f;

    public int Seed { get; init; } = 1;

    public int Threads { get; init; } = 2;

    public int CheckpointEvery { get; init; } = 10;

    public bool Resume { get; init; }
}
