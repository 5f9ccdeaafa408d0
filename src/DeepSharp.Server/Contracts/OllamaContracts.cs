using System.Text.Json;

namespace DeepSharp.Server.Contracts;

// Ollama's native API (docs/api.md): /api/chat, /api/generate, /api/tags. Streams are NDJSON, one object per line.

internal sealed class OllamaChatRequest
{
    public string? Model { get; set; }
    public List<OllamaMessage>? Messages { get; set; }
    public bool? Stream { get; set; }
    /// <summary>true/false, or a level string ("high") which counts as true.</summary>
    public JsonElement? Think { get; set; }
    public OllamaOptions? Options { get; set; }
    /// <summary>"json" (or a schema object, treated as "json").</summary>
    public JsonElement? Format { get; set; }
}

internal sealed class OllamaGenerateRequest
{
    public string? Model { get; set; }
    public string? Prompt { get; set; }
    public string? System { get; set; }
    public bool? Raw { get; set; }
    public bool? Stream { get; set; }
    public JsonElement? Think { get; set; }
    public OllamaOptions? Options { get; set; }
    public JsonElement? Format { get; set; }
}

internal sealed class OllamaMessage
{
    public string? Role { get; set; }
    public string? Content { get; set; }
    public string? Thinking { get; set; }
}

internal sealed class OllamaOptions
{
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public int? TopK { get; set; }
    public float? MinP { get; set; }
    public int? NumPredict { get; set; }
    public long? Seed { get; set; }
    public List<string>? Stop { get; set; }
    public float? PresencePenalty { get; set; }
    public float? FrequencyPenalty { get; set; }
    public float? RepeatPenalty { get; set; }
    public int? RepeatLastN { get; set; }
}

internal sealed class OllamaChatResponse
{
    public required string Model { get; init; }
    public required string CreatedAt { get; init; }
    public OllamaMessage? Message { get; init; }
    public bool Done { get; init; }
    public string? DoneReason { get; init; }
    public long? TotalDuration { get; init; }
    public int? PromptEvalCount { get; init; }
    public long? PromptEvalDuration { get; init; }
    public int? EvalCount { get; init; }
    public long? EvalDuration { get; init; }
}

internal sealed class OllamaGenerateResponse
{
    public required string Model { get; init; }
    public required string CreatedAt { get; init; }
    public required string Response { get; init; }
    public string? Thinking { get; init; }
    public bool Done { get; init; }
    public string? DoneReason { get; init; }
    public long? TotalDuration { get; init; }
    public int? PromptEvalCount { get; init; }
    public long? PromptEvalDuration { get; init; }
    public int? EvalCount { get; init; }
    public long? EvalDuration { get; init; }
}

internal sealed class OllamaTagsResponse
{
    public required List<OllamaModelDto> Models { get; init; }
}

internal sealed class OllamaModelDto
{
    public required string Name { get; init; }
    public required string Model { get; init; }
    public required string ModifiedAt { get; init; }
    public long Size { get; init; }
    public required string Digest { get; init; }
    public required OllamaModelDetailsDto Details { get; init; }
}

internal sealed class OllamaModelDetailsDto
{
    public string Format { get; init; } = "gguf";
    public string Family { get; init; } = "";
    public string ParameterSize { get; init; } = "";
    public string QuantizationLevel { get; init; } = "";
}

internal sealed class OllamaErrorResponse
{
    public required string Error { get; init; }
}
