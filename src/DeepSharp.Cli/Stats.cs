using System.Globalization;
using DeepSharp.Runtime;

namespace DeepSharp.Cli;

internal static class Stats
{
    /// <summary>One stderr line with prompt and generation speed, why generation ended, and the seed to repeat it.</summary>
    public static string Format(GenerationResult r) => string.Create(CultureInfo.InvariantCulture,
        $"prompt: {r.PromptTokens} tokens, {r.PromptTokensPerSecond:0.00} tokens/s | generation: {r.GeneratedTokens} tokens, " +
        $"{r.GenerationTokensPerSecond:0.00} tokens/s | finish: {FinishText(r.FinishReason)} | seed: {r.Seed}");

    public static string FinishText(FinishReason reason) => reason switch
    {
        FinishReason.EndOfGeneration => "end of generation",
        FinishReason.Length => "token limit",
        FinishReason.StopString => "stop string",
        FinishReason.ContextFull => "context full",
        FinishReason.Cancelled => "cancelled",
        _ => reason.ToString(),
    };
}
