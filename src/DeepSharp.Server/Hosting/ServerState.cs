using System.Security.Cryptography;
using DeepSharp.Server.Backend;
using DeepSharp.Server.Scheduling;

namespace DeepSharp.Server;

/// <summary>What the endpoints share: the backend, the scheduler, the metrics and the options.</summary>
internal sealed class ServerState(IModelBackend backend, SlotScheduler scheduler, ServerMetrics metrics, ServerOptions options)
{
    public IModelBackend Backend { get; } = backend;
    public SlotScheduler Scheduler { get; } = scheduler;
    public ServerMetrics Metrics { get; } = metrics;
    public ServerOptions Options { get; } = options;
    public long StartedUnix { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Queues a job tied to the client's connection, or answers 503 with Retry-After.</summary>
    public GenerationJob Submit(GenerationRequest request, CancellationToken clientGone)
    {
        var job = new GenerationJob(request, clientGone);
        return Scheduler.TryEnqueue(job) ? job : throw ApiException.Busy(retryAfterSeconds: 1);
    }

    public static string NewId(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
