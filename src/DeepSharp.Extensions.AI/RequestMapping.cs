using DeepSharp.Runtime;
using DeepSharp.Sampling;
using Microsoft.Extensions.AI;
using EngineMessage = DeepSharp.Chat.ChatMessage;

namespace DeepSharp.Extensions.AI;

/// <summary>Microsoft.Extensions.AI requests → the engine's messages and generation options.</summary>
internal static class RequestMapping
{
    /// <summary>
    /// The conversation as the chat template sees it. Earlier reasoning is not sent back (DeepSeek's multi-turn rule,
    /// which R1's templates also enforce); <see cref="ChatOptions.Instructions"/> becomes a leading system message.
    /// </summary>
    public static List<EngineMessage> ToEngineMessages(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var result = new List<EngineMessage>();
        if (!string.IsNullOrEmpty(options?.Instructions)) result.Add(new EngineMessage("system", options.Instructions));
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            foreach (var content in message.Contents)
            {
                if (content is not (TextContent or TextReasoningContent or UsageContent))
                {
                    throw new NotSupportedException(
                        $"{content.GetType().Name} in a {message.Role} message is not supported: DeepSharp models take text only, without tools.");
                }
            }
            result.Add(new EngineMessage(message.Role.Value, message.Text));
        }
        if (result.Count == 0) throw new ArgumentException("there are no messages to answer", nameof(messages));
        return result;
    }

    /// <summary>
    /// Generation options: the model's sampling defaults (R1's temperature 0.6, top-p 0.95, or the file's own), then
    /// whatever the call sets. Unset values keep the defaults; invalid ones throw <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public static GenerationOptions ToGenerationOptions(ChatOptions? options, SamplingOptions defaults, int defaultMaxTokens)
    {
        if (options?.Tools is { Count: > 0 })
            throw new NotSupportedException("tool calling is not supported by the DeepSharp chat client yet; remove ChatOptions.Tools");
        if (options?.ResponseFormat is ChatResponseFormatJson)
            throw new NotSupportedException("JSON response formats are not supported by the DeepSharp chat client; ask for JSON in the prompt");

        var sampling = defaults;
        if (options is not null)
        {
            if (options.Temperature is float t) sampling = sampling with { Temperature = t };
            if (options.TopP is float p) sampling = sampling with { TopP = p };
            if (options.TopK is int k) sampling = sampling with { TopK = k };
            if (options.FrequencyPenalty is float f) sampling = sampling with { FrequencyPenalty = f };
            if (options.PresencePenalty is float pp) sampling = sampling with { PresencePenalty = pp };
            // The engine's seed is 64-bit unsigned; a negative long keeps its bits.
            if (options.Seed is long seed) sampling = sampling with { Seed = unchecked((ulong)seed) };
        }
        sampling.Validate();

        int maxTokens = options?.MaxOutputTokens ?? defaultMaxTokens;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1, nameof(ChatOptions.MaxOutputTokens));
        return new GenerationOptions
        {
            MaxTokens = maxTokens,
            Sampling = sampling,
            StopStrings = options?.StopSequences is { Count: > 0 } stops ? [.. stops] : [],
        };
    }
}
