using DeepSharp.Sampling;

namespace DeepSharp.Runtime;

/// <summary>What one generation may do and how it picks tokens.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate; generation also ends at an end-of-generation token, a stop string or a full context.</summary>
    public int MaxTokens { get; init; } = 2048;

    public SamplingOptions Sampling { get; init; } = SamplingOptions.R1Defaults;

    /// <summary>Strings that end generation; the text before the stop string is kept, the stop string is not shown.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Split the output into reasoning (<c>&lt;think&gt;…&lt;/think&gt;</c>) and content.</summary>
    public bool SplitReasoning { get; init; } = true;

    /// <summary>The prompt already opened the reasoning block (it ended in "&lt;think&gt;\n").</summary>
    public bool StartsInReasoning { get; init; }
}
