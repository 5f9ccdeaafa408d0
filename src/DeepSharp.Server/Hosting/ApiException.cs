namespace DeepSharp.Server;

/// <summary>
/// A request the server refuses, with the status and OpenAI error fields to answer with. Thrown anywhere in a handler;
/// the error middleware turns it into <c>{"error":{"message","type","param","code"}}</c>.
/// </summary>
internal sealed class ApiException : Exception
{
    public ApiException() { }
    public ApiException(string message) : base(message) { }
    public ApiException(string message, Exception innerException) : base(message, innerException) { }

    public ApiException(int status, string type, string message, string? param = null, string? code = null) : base(message)
    {
        Status = status;
        Type = type;
        Param = param;
        Code = code;
    }

    public int Status { get; } = 400;
    public string Type { get; } = "invalid_request_error";
    public string? Param { get; }
    public string? Code { get; }

    /// <summary>Seconds a client should wait before retrying (429, 503).</summary>
    public int? RetryAfterSeconds { get; init; }

    public int? PromptTokens { get; init; }
    public int? ContextSize { get; init; }

    public static ApiException BadRequest(string message, string? param = null, string? code = null) =>
        new(400, "invalid_request_error", message, param, code);

    public static ApiException BadValue(string param, string rule) =>
        new(400, "invalid_request_error", $"'{param}' {rule}", param, "invalid_value");

    public static ApiException ExceedsContext(int promptTokens, int contextSize) =>
        new(400, "exceed_context_size_error",
            $"the request exceeds the available context size: the prompt is {promptTokens} tokens, the context {contextSize} (it must leave room for one generated token)",
            "messages", "exceed_context_size_error")
        { PromptTokens = promptTokens, ContextSize = contextSize };

    public static ApiException Busy(int retryAfterSeconds) =>
        new(503, "server_busy", "all slots are busy and the queue is full; retry later", null, "server_busy")
        { RetryAfterSeconds = retryAfterSeconds };

    public static ApiException RateLimited(int requestsPerMinute, int retryAfterSeconds) =>
        new(429, "requests", $"rate limit reached: {requestsPerMinute} requests per minute per client; retry in {retryAfterSeconds} s",
            null, "rate_limit_exceeded")
        { RetryAfterSeconds = retryAfterSeconds };
}
