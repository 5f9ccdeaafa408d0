using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSharp.Reasoning.Evaluation;

/// <summary>Retry policy for endpoint requests: exponential backoff from <paramref name="BaseDelay"/>.</summary>
public sealed record RetryPolicy(int MaxAttempts = 5, TimeSpan BaseDelay = default, TimeSpan RequestTimeout = default)
{
    public TimeSpan EffectiveBaseDelay => BaseDelay == default ? TimeSpan.FromSeconds(1) : BaseDelay;

    public TimeSpan EffectiveTimeout => RequestTimeout == default ? TimeSpan.FromMinutes(30) : RequestTimeout;
}

/// <summary>
/// Answers through an OpenAI/DeepSeek-compatible <c>/v1/chat/completions</c> endpoint, at most
/// <c>maxInFlight</c> requests at a time. Reasoning returned separately (<c>reasoning_content</c>, or
/// <c>reasoning</c>) is put back inside &lt;think&gt;. 429, 5xx, timeouts, refused connections and unreadable
/// bodies are retried with exponential backoff (honouring Retry-After); what still fails is reported per request.
/// </summary>
public sealed class EndpointResponder : IResponder
{
    private readonly HttpClient _http;
    private readonly Uri _completions;
    private readonly string? _model;
    private readonly GenerationSettings _settings;
    private readonly RetryPolicy _retry;
    private readonly SemaphoreSlim _inFlight;

    public EndpointResponder(string endpoint, GenerationSettings settings, string? apiKey = null, string? model = null,
        int maxInFlight = 4, RetryPolicy? retry = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _retry = retry ?? new RetryPolicy();
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(apiKey))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        _completions = CompletionsUri(endpoint);
        (_model, _settings, _inFlight) = (model, settings, new SemaphoreSlim(maxInFlight));
        Source = model is null ? endpoint : $"{model}@{endpoint}";
    }

    public string Source { get; }

    /// <summary>".../v1/chat/completions" from a base URL with or without "/v1" or the full path.</summary>
    public static Uri CompletionsUri(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        string url = endpoint.TrimEnd('/');
        if (url.EndsWith("/chat/completions", StringComparison.Ordinal))
            return new Uri(url);
        if (!url.EndsWith("/v1", StringComparison.Ordinal))
            url += "/v1";
        return new Uri(url + "/chat/completions");
    }

    public async Task<IReadOnlyList<Completion>> RespondAsync(IReadOnlyList<ResponseRequest> requests, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(requests);
        return await Task.WhenAll(requests.Select(r => RespondOneAsync(r, cancellation))).ConfigureAwait(false);
    }

    private async Task<Completion> RespondOneAsync(ResponseRequest request, CancellationToken cancellation)
    {
        await _inFlight.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            string? lastError = null;
            for (int attempt = 1; attempt <= _retry.MaxAttempts; attempt++)
            {
                var (completion, retryAfter) = await TryOnceAsync(request, cancellation).ConfigureAwait(false);
                if (completion.Error is null || retryAfter is null)
                    return completion;
                lastError = completion.Error;
                if (attempt < _retry.MaxAttempts)
                    await Task.Delay(Backoff(attempt, retryAfter.Value), cancellation).ConfigureAwait(false);
            }
            return Completion.Failure($"{lastError} (gave up after {_retry.MaxAttempts} attempts)");
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private TimeSpan Backoff(int attempt, TimeSpan retryAfter)
    {
        var exponential = _retry.EffectiveBaseDelay * Math.Pow(2, attempt - 1);
        return retryAfter > exponential ? retryAfter : exponential;
    }

    // The completion, and for a retryable failure how long the server asked us to wait (zero when it did not say);
    // a null wait means the failure is final (a 4xx other than 408/429).
    private async Task<(Completion Completion, TimeSpan? RetryAfter)> TryOnceAsync(ResponseRequest request, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(_retry.EffectiveTimeout);
        try
        {
            using var content = new StringContent(RequestBody(request), Encoding.UTF8, "application/json");
            using var response = await _http.PostAsync(_completions, content, timeout.Token).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var failure = Completion.Failure($"HTTP {(int)response.StatusCode}: {Shorten(body)}");
                return (failure, IsRetryable(response.StatusCode) ? response.Headers.RetryAfter?.Delta ?? TimeSpan.Zero : null);
            }
            return ParseBody(body) is { } parsed ? (parsed, null) : (Completion.Failure($"unreadable response: {Shorten(body)}"), TimeSpan.Zero);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return (Completion.Failure($"timed out after {_retry.EffectiveTimeout.TotalSeconds:0.#} s"), TimeSpan.Zero);
        }
        catch (HttpRequestException e)
        {
            return (Completion.Failure($"request failed: {e.Message}"), TimeSpan.Zero);
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;

    private string RequestBody(ResponseRequest request)
    {
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = request.Prompt }),
            ["temperature"] = _settings.Temperature,
            ["top_p"] = _settings.TopP,
            ["max_tokens"] = _settings.MaxTokens,
            ["seed"] = (long)(request.Seed & long.MaxValue),
            ["stream"] = false,
        };
        if (_model is not null)
            body["model"] = _model;
        return body.ToJsonString();
    }

    /// <summary>The completion in a chat.completion body, or null when the body is not one.</summary>
    public static Completion? ParseBody(string body)
    {
        try
        {
            var root = JsonNode.Parse(body);
            var choice = root?["choices"]?[0];
            var message = choice?["message"];
            if (message is null)
                return null;
            string? content = message["content"]?.GetValue<string>();
            string? reasoning = message["reasoning_content"]?.GetValue<string>() ?? message["reasoning"]?.GetValue<string>();
            bool truncated = choice?["finish_reason"]?.GetValue<string>() == "length";
            int? tokens = root?["usage"]?["completion_tokens"]?.GetValue<int>();
            return new Completion(Compose(reasoning, content ?? "", truncated), tokens);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    // Separate reasoning goes back inside <think>; when the model was cut off before any answer the tag stays open,
    // so the grader flags the sample as unfinished reasoning rather than as a missing answer.
    private static string Compose(string? reasoning, string content, bool truncated)
    {
        if (reasoning is null)
            return content.Contains("think>", StringComparison.Ordinal) ? content : $"<think>\n\n</think>\n\n{content}";
        if (truncated && string.IsNullOrWhiteSpace(content))
            return $"<think>\n{reasoning}";
        return $"<think>\n{reasoning}\n</think>\n\n{content}";
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    public void Dispose()
    {
        _http.Dispose();
        _inFlight.Dispose();
    }
}
