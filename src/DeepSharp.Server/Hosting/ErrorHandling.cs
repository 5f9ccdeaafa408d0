using System.Text.Json;
using DeepSharp.Server.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeepSharp.Server;

/// <summary>
/// The outermost middleware: every failure becomes a JSON error with a 4xx/5xx status (never an empty 500 or a hung
/// connection), a client that went away is left alone, and every request is counted for <c>/metrics</c>.
/// Ollama routes (<c>/api/*</c>) get Ollama's <c>{"error":"…"}</c> shape.
/// </summary>
internal static class ErrorHandling
{
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next, ServerMetrics metrics)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // The client disconnected; there is nobody to answer.
        }
        catch (Exception e)
        {
            var error = ToApiError(e);
            if (!context.Response.HasStarted) await WriteAsync(context, error);
            else context.Abort(); // mid-stream: the stream writers report their own errors; anything else ends the connection
        }
        string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        metrics.Request(route, context.Response.StatusCode);
    }

    /// <summary>Maps an exception to the error to send (unexpected ones to a 500 that still has a JSON body).</summary>
    public static ApiException ToApiError(Exception e) => e switch
    {
        ApiException api => api,
        BadHttpRequestException { StatusCode: 413 } => new ApiException(413, "invalid_request_error", "the request body is too large", null, "request_too_large"),
        BadHttpRequestException bad => ApiException.BadRequest(bad.Message),
        JsonException json => ApiException.BadRequest($"invalid JSON: {json.Message}", JsonParam(json.Path), "invalid_json"),
        ObjectDisposedException => new ApiException(503, "server_busy", "the server is shutting down", null, "shutting_down") { RetryAfterSeconds = 5 },
        _ => new ApiException(500, "server_error", $"internal error: {e.GetType().Name}: {e.Message}", null, "internal_error"),
    };

    public static Task WriteAsync(HttpContext context, ApiException error)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = error.Status;
        if (error.RetryAfterSeconds is int seconds) response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (error.Status == 401) response.Headers.WWWAuthenticate = "Bearer";
        if (context.Request.Path.StartsWithSegments("/api"))
            return response.WriteAsJsonAsync(new OllamaErrorResponse { Error = error.Message }, ServerJson.Web.OllamaErrorResponse);
        return response.WriteAsJsonAsync(ToBody(error), ServerJson.Web.ErrorResponse);
    }

    public static ErrorResponse ToBody(ApiException error) => new()
    {
        Error = new ErrorBody
        {
            Message = error.Message,
            Type = error.Type,
            Param = error.Param,
            Code = error.Code,
            NPromptTokens = error.PromptTokens,
            NCtx = error.ContextSize,
        },
    };

    /// <summary>"$.messages[0].role" → "messages[0].role".</summary>
    private static string? JsonParam(string? path) =>
        path is null or "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    /// <summary>404/405 answered by routing without a body get a JSON one.</summary>
    public static async Task StatusCodeBodyAsync(HttpContext context)
    {
        int status = context.Response.StatusCode;
        if (status < 400 || context.Response.HasStarted || context.Response.ContentLength > 0) return;
        string message = status switch
        {
            404 => $"no such endpoint: {context.Request.Method} {context.Request.Path}",
            405 => $"method {context.Request.Method} not allowed on {context.Request.Path}",
            _ => $"request failed with status {status}",
        };
        await WriteAsync(context, new ApiException(status, "invalid_request_error", message, null, status == 404 ? "not_found" : null));
    }
}
