using DeepSharp.Sampling;

namespace DeepSharp.Server.Scheduling;

/// <summary>How reasoning (<c>&lt;think&gt;…&lt;/think&gt;</c>) reaches the client (llama.cpp's --reasoning-format).</summary>
public enum ReasoningFormat
{
    /// <summary>Reasoning in <c>reasoning_content</c>, the answer in <c>content</c> (DeepSeek API shape).</summary>
    DeepSeek,

    /// <summary>Everything in <c>content</c>, tags included.</summary>
    None,

    /// <summary>Tags and reasoning kept in <c>content</c>, and the reasoning also in <c>reasoning_content</c>.</summary>
    DeepSeekLegacy,
}

/// <summary>One validated generation job as the scheduler sees it: tokens in, sampling and limits.</summary>
internal sealed record GenerationRequest
{
    public required int[] Prompt { get; init; }

    /// <summary>The prompt ended in "&lt;think&gt;\n": the output starts inside the reasoning.</summary>
    public bool StartsInReasoning { get; init; }

    public required int MaxTokens { get; init; }

    public required SamplingOptions Sampling { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>-1: no logprobs; 0: the chosen token's only; k: also the k most likely alternatives.</summary>
    public int TopLogprobs { get; init; } = -1;

    /// <summary>Independent choices, generated one after the other in the same slot (the prompt's KV is reused).</summary>
    public int Choices { get; init; } = 1;

    public ReasoningFormat ReasoningFormat { get; init; }

    /// <summary>Constrain the answer (after the reasoning) to one JSON object.</summary>
    public bool JsonObject { get; init; }
}
