using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace DeepSharp.Server;

/// <summary>
/// The opt-in per-client rate limit (<c>--rate-limit N</c>): a token bucket per client that holds up to N requests
/// and refills at N per minute, so a client may burst N requests and then sustain N a minute. The client is its API
/// key when the server has one (the limit then applies per key), else its remote address. A request over the limit
/// gets 429 <c>rate_limit_exceeded</c> with <c>Retry-After</c>: the seconds until the bucket holds one request again.
/// </summary>
internal sealed class ClientRateLimiter(int requestsPerMinute, TimeProvider clock)
{
    /// <summary>Buckets kept before the full (idle long enough to be back at capacity) ones are dropped.</summary>
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly double _perSecond = requestsPerMinute / 60.0;

    public int RequestsPerMinute { get; } = requestsPerMinute;

    /// <summary>Takes one request from <paramref name="client"/>'s bucket; when empty, the whole seconds until it refills one.</summary>
    public bool TryAcquire(string client, out int retryAfterSeconds)
    {
        double now = clock.GetTimestamp() / (double)clock.TimestampFrequency;
        if (_buckets.Count > PruneAbove) PruneFull(now);
        var bucket = _buckets.GetOrAdd(client, static (_, state) => new Bucket(state.Capacity, state.Now), (Capacity: (double)RequestsPerMinute, Now: now));
        lock (bucket)
        {
            bucket.Tokens = Math.Min(RequestsPerMinute, bucket.Tokens + (now - bucket.Updated) * _perSecond);
            bucket.Updated = now;
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                retryAfterSeconds = 0;
                return true;
            }
            // Less a hair for rounding, so 10.000000001 s of refill time reads as 10, not 11.
            retryAfterSeconds = Math.Max(1, (int)Math.Ceiling((1 - bucket.Tokens) / _perSecond - 1e-6));
            return false;
        }
    }

    // A bucket that would be full again holds no state worth keeping: a new one starts full too.
    private void PruneFull(double now)
    {
        foreach (var (client, bucket) in _buckets)
            if (bucket.Tokens + (now - bucket.Updated) * _perSecond >= RequestsPerMinute) _buckets.TryRemove(client, out _);
    }

    /// <summary>Middleware: limits the API routes (not <c>/health</c>, <c>/metrics</c> or the page). Runs after the key check.</summary>
    public Task InvokeAsync(HttpContext context, RequestDelegate next, string? apiKey)
    {
        if (!IsLimited(context.Request.Path) || TryAcquire(ClientOf(context, apiKey), out int retryAfter)) return next(context);
        throw ApiException.RateLimited(RequestsPerMinute, retryAfter);
    }

    private static bool IsLimited(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/api")
        || path.StartsWithSegments("/chat") || path.StartsWithSegments("/completions");

    // With a key configured, every request that got here carried it (ApiKeyCheck ran first): the key is the client.
    private static string ClientOf(HttpContext context, string? apiKey) =>
        string.IsNullOrEmpty(apiKey) ? "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown") : "key:" + apiKey;

    private sealed class Bucket(double tokens, double updated)
    {
        public double Tokens { get; set; } = tokens;
        public double Updated { get; set; } = updated;
    }
}
