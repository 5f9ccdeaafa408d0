using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace DeepSharp.Server;

/// <summary>
/// With an API key configured, API routes need <c>Authorization: Bearer KEY</c> (what the OpenAI SDKs send) or
/// <c>x-api-key: KEY</c>. <c>/health</c> and the web page stay open; the page asks the user for the key.
/// </summary>
internal static class ApiKeyCheck
{
    public static Task InvokeAsync(HttpContext context, RequestDelegate next, string? key)
    {
        if (string.IsNullOrEmpty(key) || !IsProtected(context.Request.Path) || Matches(context.Request, key)) return next(context);
        bool sent = context.Request.Headers.Authorization.Count > 0 || context.Request.Headers.ContainsKey("x-api-key");
        throw new ApiException(401, "invalid_request_error",
            sent ? "incorrect API key provided" : "no API key provided (send Authorization: Bearer KEY)", null, "invalid_api_key");
    }

    private static bool IsProtected(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/api") || path.StartsWithSegments("/metrics")
        || path.StartsWithSegments("/chat") || path.StartsWithSegments("/completions");

    private static bool Matches(HttpRequest request, string key)
    {
        string? sent = request.Headers.Authorization.ToString() is { Length: > 0 } auth
            ? (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null)
            : request.Headers["x-api-key"].ToString();
        return sent is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(key));
    }
}
