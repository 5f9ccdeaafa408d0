namespace DeepSharp.Server.Scheduling;

/// <summary>Something a running job tells the endpoint that waits on it.</summary>
internal abstract record JobEvent;

/// <summary>Text produced by one token of choice <paramref name="Choice"/> (either part may be empty).</summary>
internal sealed record TokenEvent(int Choice, string Reasoning, string Content, TokenLogprob? Logprob) : JobEvent;

/// <summary>Choice <paramref name="Choice"/> ended (OpenAI finish reason: "stop" or "length").</summary>
internal sealed record ChoiceEndEvent(int Choice, string FinishReason, int CompletionTokens, int ReasoningTokens) : JobEvent;

/// <summary>All choices ended. Counts cover every choice; the prompt is counted once.</summary>
internal sealed record JobEndEvent(JobUsage Usage) : JobEvent;

internal sealed record JobUsage(int PromptTokens, int CachedPromptTokens, int CompletionTokens, int ReasoningTokens,
    double PromptSeconds, double GenerationSeconds);

/// <summary>The log-probability of a sampled token, with the most likely alternatives at that step.</summary>
internal sealed record TokenLogprob(int Token, string Text, byte[] Bytes, float Logprob, IReadOnlyList<TopLogprob> Top);

internal sealed record TopLogprob(int Token, string Text, byte[] Bytes, float Logprob);
