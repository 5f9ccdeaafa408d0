using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSharp.Server.Contracts;

// OpenAI legacy completions (openapi.yaml CreateCompletionRequest/Response): raw text, no chat template.

internal sealed class CompletionRequest
{
    public string? Model { get; set; }
    /// <summary>A string or an array of one string.</summary>
    public JsonElement? Prompt { get; set; }
    public int? MaxTokens { get; set; }
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public int? TopK { get; set; }
    public float? MinP { get; set; }
    public int? N { get; set; }
    public bool? Stream { get; set; }
    public StreamOptionsDto? StreamOptions { get; set; }
    /// <summary>Legacy: the number of alternatives per token (0..5 at OpenAI, up to 20 here).</summary>
    public int? Logprobs { get; set; }
    public bool? Echo { get; set; }
    public JsonElement? Stop { get; set; }
    public long? Seed { get; set; }
    public float? PresencePenalty { get; set; }
    public float? FrequencyPenalty { get; set; }
    public float? RepeatPenalty { get; set; }
    public string? Suffix { get; set; }
}

internal sealed class CompletionResponse
{
    public required string Id { get; init; }
    public string Object { get; init; } = "text_completion";
    public long Created { get; init; }
    public required string Model { get; init; }
    public required List<CompletionChoiceDto> Choices { get; init; }
    public UsageDto? Usage { get; init; }
}

internal sealed class CompletionChoiceDto
{
    public required string Text { get; init; }
    public int Index { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public CompletionLogprobsDto? Logprobs { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; init; }
}

internal sealed class CompletionLogprobsDto
{
    public List<string> Tokens { get; } = [];
    public List<float> TokenLogprobs { get; } = [];
    public List<Dictionary<string, float>> TopLogprobs { get; } = [];
    public List<int> TextOffset { get; } = [];
}
