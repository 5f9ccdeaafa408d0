using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DeepSharp.LoadBench;

/// <summary>One stream's timeline: request sent at 0, first streamed chunk, last byte; tokens from the usage chunk.</summary>
internal readonly record struct StreamResult(double FirstChunkSeconds, double EndSeconds, int CompletionTokens);

/// <summary>
/// K streams started together. Generation throughput counts the tokens after each stream's first one (the first
/// comes with the prompt's processing) over the time from the first stream's first token to the last stream's end,
/// so per-slot prompt processing does not count as generation; the end-to-end rate is also given.
/// </summary>
internal sealed record RoundResult(StreamResult[] Streams)
{
    public int TotalTokens => Streams.Sum(s => s.CompletionTokens);
    public double GenerationSeconds => Streams.Max(s => s.EndSeconds) - Streams.Min(s => s.FirstChunkSeconds);
    public double GenerationTokensPerSecond => Streams.Sum(s => s.CompletionTokens - 1) / GenerationSeconds;
    public double EndToEndTokensPerSecond => TotalTokens / Streams.Max(s => s.EndSeconds);

    /// <summary>Totals and rates, then each stream's first-token and end times (s): a stream whose prompt was read a round
    /// after the others' shows a later first token, and the window between counts as generation of the others.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{TotalTokens} tokens ({string.Join('+', Streams.Select(s => s.CompletionTokens))}), generation {GenerationTokensPerSecond:0.00} tok/s over {GenerationSeconds:0.00} s, end-to-end {EndToEndTokensPerSecond:0.00} tok/s, streams {string.Join(' ', Streams.Select(Timeline))}");

    private static string Timeline(StreamResult s) => string.Create(CultureInfo.InvariantCulture, $"[{s.FirstChunkSeconds:0.000}–{s.EndSeconds:0.000}]");
}

/// <summary>Streams greedy completions from the server and times them.</summary>
internal sealed class StreamClient(HttpClient http)
{
    public async Task<RoundResult> RunAsync(int streams, int maxTokens, int promptSeed)
    {
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, streams).Select(i => OneAsync(clock, $"Story {promptSeed + i}: once upon a time", maxTokens));
        return new RoundResult(await Task.WhenAll(tasks));
    }

    private async Task<StreamResult> OneAsync(Stopwatch clock, string prompt, int maxTokens)
    {
        string body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["prompt"] = prompt,
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["stream"] = true,
            ["stream_options"] = new Dictionary<string, object> { ["include_usage"] = true },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        double first = -1;
        int tokens = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]") continue;
            if (first < 0) first = clock.Elapsed.TotalSeconds;
            using var doc = JsonDocument.Parse(line.AsMemory(6));
            if (doc.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                tokens = usage.GetProperty("completion_tokens").GetInt32();
        }
        return new StreamResult(first, clock.Elapsed.TotalSeconds, tokens);
    }
}
