using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace DeepSharp.Server.Streaming;

/// <summary>
/// Server-sent events as OpenAI streams them: <c>data: {json}\n\n</c> per chunk, flushed at once, then
/// <c>data: [DONE]</c>. Also writes newline-delimited JSON for Ollama (<see cref="NdjsonAsync"/>).
/// </summary>
internal sealed class SseWriter
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private readonly HttpResponse _response;
    private readonly bool _ndjson;

    private SseWriter(HttpResponse response, bool ndjson)
    {
        _response = response;
        _ndjson = ndjson;
    }

    public static async Task<SseWriter> StartAsync(HttpContext context) => await Start(context, "text/event-stream", ndjson: false);

    public static async Task<SseWriter> NdjsonAsync(HttpContext context) => await Start(context, "application/x-ndjson", ndjson: true);

    private static async Task<SseWriter> Start(HttpContext context, string contentType, bool ndjson)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = contentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // reverse proxies: do not buffer the stream
        await response.StartAsync(context.RequestAborted);
        return new SseWriter(response, ndjson);
    }

    public async Task WriteAsync<T>(T value, JsonTypeInfo<T> type, CancellationToken cancellation)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(value, type);
        if (!_ndjson) await _response.Body.WriteAsync(DataPrefix, cancellation);
        await _response.Body.WriteAsync(json, cancellation);
        await _response.Body.WriteAsync(_ndjson ? EventEnd.AsMemory(0, 1) : EventEnd, cancellation);
        await _response.Body.FlushAsync(cancellation);
    }

    public async Task DoneAsync(CancellationToken cancellation)
    {
        await _response.Body.WriteAsync(Encoding.UTF8.GetBytes("data: [DONE]\n\n"), cancellation);
        await _response.Body.FlushAsync(cancellation);
    }
}
