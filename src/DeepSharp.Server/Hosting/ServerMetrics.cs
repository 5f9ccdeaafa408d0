using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace DeepSharp.Server;

/// <summary>
/// Counters for <c>GET /metrics</c> (Prometheus text format 0.0.4). Written from the request pipeline and the
/// scheduler thread, so every update is atomic; gauges (queue, busy slots) are read from the scheduler when scraped.
/// </summary>
internal sealed class ServerMetrics
{
    private readonly ConcurrentDictionary<(string Route, int Status), long> _requests = new();
    private long _promptTokens, _generatedTokens, _cancelled, _promptTicks, _generationTicks;

    public void Request(string route, int status) => _requests.AddOrUpdate((route, status), 1, static (_, n) => n + 1);

    public void PromptProcessed(int tokens, double seconds)
    {
        Interlocked.Add(ref _promptTokens, tokens);
        Interlocked.Add(ref _promptTicks, TimeSpan.FromSeconds(seconds).Ticks);
    }

    public void TokenGenerated(double seconds)
    {
        Interlocked.Increment(ref _generatedTokens);
        Interlocked.Add(ref _generationTicks, TimeSpan.FromSeconds(seconds).Ticks);
    }

    public void Cancelled() => Interlocked.Increment(ref _cancelled);

    public long GeneratedTokens => Interlocked.Read(ref _generatedTokens);

    public string Render(int queueLength, int busySlots, int slots)
    {
        var w = new StringBuilder();
        Metric(w, "deepsharp_requests_total", "counter", "HTTP requests by route and status.");
        foreach (var ((route, status), n) in _requests.OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Status))
            w.Append(CultureInfo.InvariantCulture, $"deepsharp_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n");
        double promptSeconds = TimeSpan.FromTicks(Interlocked.Read(ref _promptTicks)).TotalSeconds;
        double genSeconds = TimeSpan.FromTicks(Interlocked.Read(ref _generationTicks)).TotalSeconds;
        long prompt = Interlocked.Read(ref _promptTokens), generated = GeneratedTokens;
        Value(w, "deepsharp_prompt_tokens_total", "counter", "Prompt tokens processed (not counting reused prefix-cache tokens).", prompt);
        Value(w, "deepsharp_generated_tokens_total", "counter", "Tokens generated.", generated);
        Value(w, "deepsharp_prompt_seconds_total", "counter", "Time spent processing prompts.", promptSeconds);
        Value(w, "deepsharp_generation_seconds_total", "counter", "Time spent generating tokens.", genSeconds);
        Value(w, "deepsharp_prompt_tokens_per_second", "gauge", "Average prompt processing throughput.", promptSeconds > 0 ? prompt / promptSeconds : 0);
        Value(w, "deepsharp_generation_tokens_per_second", "gauge", "Average generation throughput.", genSeconds > 0 ? generated / genSeconds : 0);
        Value(w, "deepsharp_cancelled_total", "counter", "Generations cancelled by their client.", Interlocked.Read(ref _cancelled));
        Value(w, "deepsharp_queue_length", "gauge", "Requests waiting for a slot.", queueLength);
        Value(w, "deepsharp_slots_busy", "gauge", "Slots generating.", busySlots);
        Value(w, "deepsharp_slots_total", "gauge", "Slots (--parallel).", slots);
        return w.ToString();
    }

    private static void Metric(StringBuilder w, string name, string type, string help) =>
        w.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static void Value(StringBuilder w, string name, string type, string help, double value)
    {
        Metric(w, name, type, help);
        w.Append(CultureInfo.InvariantCulture, $"{name} {value:R}\n");
    }
}
