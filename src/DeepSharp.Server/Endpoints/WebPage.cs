using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;

namespace DeepSharp.Server.Endpoints;

/// <summary>
/// The web chat page: files under <c>src/DeepSharp.Server/wwwroot/</c> are embedded in the assembly (logical name
/// <c>wwwroot/&lt;relative path&gt;</c>), so the page works from any working directory. <c>GET /</c> serves
/// <c>wwwroot/index.html</c>; other paths serve the file of that name. API routes take precedence (fallback route).
/// </summary>
internal static class WebPage
{
    private static readonly Assembly Assembly = typeof(WebPage).Assembly;
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => ServeAsync(context, "index.html"));
        // Lowest priority, any method: unknown API paths end here too and get a JSON 404. The pattern is explicit
        // because MapFallback's default ({*path:nonfile}) skips paths with a dot, i.e. /app.js and /style.css.
        app.MapFallback("{**path}", (HttpContext context) => HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
            ? ServeAsync(context, context.Request.Path.Value!.TrimStart('/'))
            : throw NotFound(context.Request.Path.Value!.TrimStart('/')));
    }

    private static async Task ServeAsync(HttpContext context, string path)
    {
        if (path.Contains("..", StringComparison.Ordinal)) throw NotFound(path);
        await using var stream = Assembly.GetManifestResourceStream("wwwroot/" + path) ?? throw NotFound(path);
        context.Response.ContentType = ContentTypes.TryGetContentType(path, out string? type) ? type : "application/octet-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.ContentLength = stream.Length;
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private static ApiException NotFound(string path) =>
        new(404, "invalid_request_error", path == "index.html" ? "the web page is not part of this build" : $"no such file or endpoint: /{path}", null, "not_found");
}
