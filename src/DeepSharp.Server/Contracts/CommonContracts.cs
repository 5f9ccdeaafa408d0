using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSharp.Server.Contracts;

/// <summary>OpenAI's error body: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal sealed class ErrorResponse
{
    public required ErrorBody Error { get; init; }
}

internal sealed class ErrorBody
{
    public required string Message { get; init; }
    public required string Type { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; init; }
    /// <summary>For exceed_context_size_error (as llama-server): the prompt's tokens and the context size.</summary>
    public int? NPromptTokens { get; init; }
    public int? NCtx { get; init; }
}

internal sealed class ModelListResponse
{
    public string Object { get; init; } = "list";
    public required List<ModelDto> Data { get; init; }
}

internal sealed class ModelDto
{
    public required string Id { get; init; }
    public string Object { get; init; } = "model";
    public long Created { get; init; }
    public string OwnedBy { get; init; } = "deepsharp";
    /// <summary>Context positions per slot (extension).</summary>
    public int ContextLength { get; init; }
}

internal sealed class HealthResponse
{
    public string Status { get; init; } = "ok";
    public int SlotsIdle { get; init; }
    public int SlotsProcessing { get; init; }
    public int QueueLength { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(OllamaChatRequest))]
[JsonSerializable(typeof(OllamaGenerateRequest))]
[JsonSerializable(typeof(OllamaChatResponse))]
[JsonSerializable(typeof(OllamaGenerateResponse))]
[JsonSerializable(typeof(OllamaTagsResponse))]
[JsonSerializable(typeof(OllamaErrorResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ModelListResponse))]
[JsonSerializable(typeof(ModelDto))]
[JsonSerializable(typeof(HealthResponse))]
internal sealed partial class ServerJson : JsonSerializerContext
{
    /// <summary>
    /// The context the server writes with: like <see cref="Default"/>, but without escaping '&lt;', '&gt;', '+' and
    /// non-ASCII text as \uXXXX (valid either way; reasoning is full of &lt;think&gt; tags and readers look at it).
    /// </summary>
    public static ServerJson Web { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
