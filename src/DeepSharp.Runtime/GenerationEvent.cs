namespace DeepSharp.Runtime;

public enum GenerationEventKind
{
    /// <summary>Text of the model's reasoning (inside &lt;think&gt;…&lt;/think&gt;).</summary>
    Reasoning,

    /// <summary>Text of the answer.</summary>
    Content,

    /// <summary>The last event: <see cref="GenerationEvent.Result"/> says why generation ended and how fast it ran.</summary>
    Finished,
}

public enum FinishReason
{
    /// <summary>The model produced an end-of-generation token.</summary>
    EndOfGeneration,

    /// <summary>The token limit was reached.</summary>
    Length,

    /// <summary>A stop string appeared.</summary>
    StopString,

    /// <summary>The context window is full: nothing more fits.</summary>
    ContextFull,

    /// <summary>The caller cancelled.</summary>
    Cancelled,
}

/// <summary>Counts and timings of one generation.</summary>
public sealed record GenerationResult(
    FinishReason FinishReason,
    int PromptTokens,
    double PromptSeconds,
    int GeneratedTokens,
    double GenerationSeconds,
    IReadOnlyList<int> Tokens,
    ulong Seed)
{
    public double PromptTokensPerSecond => PromptSeconds > 0 ? PromptTokens / PromptSeconds : 0;
    public double GenerationTokensPerSecond => GenerationSeconds > 0 ? GeneratedTokens / GenerationSeconds : 0;
}

/// <summary>One step of a generation stream: a piece of text on a channel, or the final result.</summary>
public readonly record struct GenerationEvent(GenerationEventKind Kind, string Text, GenerationResult? Result = null);
