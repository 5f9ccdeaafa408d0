using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSharp.Server.Contracts;

// OpenAI chat completion request/response/chunk (openapi.yaml CreateChatCompletionRequest/Response/StreamResponse),
// with DeepSeek's reasoning_content beside content. Unknown request fields are ignored, as OpenAI-compatible servers do.

internal sealed class ChatCompletionRequest
{
    public string? Model { get; set; }
    public List<ChatMessageDto>? Messages { get; set; }
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public int? TopK { get; set; }
    public float? MinP { get; set; }
    public int? MaxTokens { get; set; }
    public int? MaxCompletionTokens { get; set; }
    /// <summary>A string or an array of strings.</summary>
    public JsonElement? Stop { get; set; }
    public long? Seed { get; set; }
    public int? N { get; set; }
    public float? PresencePenalty { get; set; }
    public float? FrequencyPenalty { get; set; }
    public float? RepeatPenalty { get; set; }
    public bool? Logprobs { get; set; }
    public int? TopLogprobs { get; set; }
    public bool? Stream { get; set; }
    public StreamOptionsDto? StreamOptions { get; set; }
    public ResponseFormatDto? ResponseFormat { get; set; }
    /// <summary>Per-request override of --reasoning-format (llama.cpp extension).</summary>
    public string? ReasoningFormat { get; set; }
}

internal sealed class ChatMessageDto
{
    public string? Role { get; set; }
    /// <summary>A string, an array of content parts, or null.</summary>
    public JsonElement? Content { get; set; }
    /// <summary>Accepted from clients that send the previous answer's reasoning back; dropped (R1 never sees old thoughts).</summary>
    public string? ReasoningContent { get; set; }
    public string? Name { get; set; }
    public string? ToolCallId { get; set; }
}

internal sealed class StreamOptionsDto
{
    public bool? IncludeUsage { get; set; }
}

internal sealed class ResponseFormatDto
{
    public string? Type { get; set; }
}

internal sealed class ChatCompletionResponse
{
    public required string Id { get; init; }
    public string Object { get; init; } = "chat.completion";
    public long Created { get; init; }
    public required string Model { get; init; }
    public required List<ChatChoiceDto> Choices { get; init; }
    public UsageDto? Usage { get; init; }
}

internal sealed class ChatChoiceDto
{
    public int Index { get; init; }
    public required AssistantMessageDto Message { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
    public ChoiceLogprobsDto? Logprobs { get; init; }
}

internal sealed class AssistantMessageDto
{
    public string Role { get; init; } = "assistant";
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Content { get; init; }
    public string? ReasoningContent { get; init; }
}

internal sealed class ChatCompletionChunk
{
    public required string Id { get; init; }
    public string Object { get; init; } = "chat.completion.chunk";
    public long Created { get; init; }
    public required string Model { get; init; }
    public required List<ChunkChoiceDto> Choices { get; init; }
    public UsageDto? Usage { get; init; }
}

internal sealed class ChunkChoiceDto
{
    public int Index { get; init; }
    public required ChunkDeltaDto Delta { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
    public ChoiceLogprobsDto? Logprobs { get; init; }
}

internal sealed class ChunkDeltaDto
{
    public string? Role { get; init; }
    public string? Content { get; init; }
    public string? ReasoningContent { get; init; }
}

internal sealed class ChoiceLogprobsDto
{
    public required List<TokenLogprobDto> Content { get; init; }
}

internal sealed class TokenLogprobDto
{
    public required string Token { get; init; }
    public float Logprob { get; init; }
    public required int[] Bytes { get; init; }
    public required List<TopLogprobDto> TopLogprobs { get; init; }
}

internal sealed class TopLogprobDto
{
    public required string Token { get; init; }
    public float Logprob { get; init; }
    public required int[] Bytes { get; init; }
}

internal sealed class UsageDto
{
    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
    public int TotalTokens { get; init; }
    public PromptTokensDetailsDto? PromptTokensDetails { get; init; }
    public CompletionTokensDetailsDto? CompletionTokensDetails { get; init; }
}

internal sealed class PromptTokensDetailsDto
{
    /// <summary>Prompt tokens whose KV was reused from the slot's prefix cache.</summary>
    public int CachedTokens { get; init; }
}

internal sealed class CompletionTokensDetailsDto
{
    public int ReasoningTokens { get; init; }
}
