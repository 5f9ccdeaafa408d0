using System.Net;
using DeepSharp.Server.Scheduling;

namespace DeepSharp.Server;

/// <summary>How <see cref="DeepSharpServer"/> listens and schedules (the <c>deepsharp serve</c> flags).</summary>
public sealed record ServerOptions
{
    /// <summary>An IP address or "localhost". Loopback by default: nothing outside the machine can connect.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (see <see cref="DeepSharpServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Slots: sequences generated concurrently, each with its own KV cache.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Requests that may wait for a slot; beyond that the server answers 503 with Retry-After.</summary>
    public int QueueCapacity { get; init; } = 16;

    /// <summary>
    /// How long an idle server, once a request arrives, waits for others before it starts (ending early when every slot
    /// has one), so that requests sent together have their prompts read in one batched pass rather than the first alone
    /// and the rest a round later. Adds at most this to a lone request's first token; never delays a running stream.
    /// 5 ms by default; zero turns it off.
    /// </summary>
    public TimeSpan AdmissionWindow { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>When set, every API request needs <c>Authorization: Bearer KEY</c> (or <c>x-api-key: KEY</c>).</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// Requests per minute per client (its API key, or its address without one) on the API routes; 0 (the default)
    /// means no limit. Over it: 429 <c>rate_limit_exceeded</c> with Retry-After. See <see cref="ClientRateLimiter"/>.
    /// </summary>
    public int RateLimitPerMinute { get; init; }

    /// <summary>The clock of the rate limit (tests move it by hand).</summary>
    internal TimeProvider Clock { get; init; } = TimeProvider.System;

    public ReasoningFormat ReasoningFormat { get; init; } = ReasoningFormat.DeepSeek;

    /// <summary>Larger request bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 8 << 20;

    public IPAddress Address => Host switch
    {
        "localhost" => IPAddress.Loopback,
        _ when IPAddress.TryParse(Host, out var ip) => ip,
        _ => throw new ArgumentException($"--host must be an IP address or localhost, got '{Host}'", nameof(Host)),
    };

    /// <summary>True when other machines can reach the server and no API key protects it (worth a warning).</summary>
    public bool IsExposedWithoutKey => !IPAddress.IsLoopback(Address) && string.IsNullOrEmpty(ApiKey);

    internal void Validate()
    {
        _ = Address;
        ArgumentOutOfRangeException.ThrowIfNegative(Port, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfLessThan(Parallel, 1, nameof(Parallel));
        ArgumentOutOfRangeException.ThrowIfNegative(QueueCapacity, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfNegative(RateLimitPerMinute, nameof(RateLimitPerMinute));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBodyBytes, 1024, nameof(MaxRequestBodyBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(AdmissionWindow, TimeSpan.Zero, nameof(AdmissionWindow));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(AdmissionWindow, TimeSpan.FromSeconds(1), nameof(AdmissionWindow));
    }
}
