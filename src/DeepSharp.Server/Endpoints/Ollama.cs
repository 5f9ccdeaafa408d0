using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSharp.Chat;
using DeepSharp.Server.Contracts;
using DeepSharp.Server.Scheduling;
using DeepSharp.Server.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeepSharp.Server.Endpoints;

/// <summary>
/// Ollama's native API for local front ends: <c>/api/chat</c>, <c>/api/generate</c> (NDJSON streaming by default,
/// reasoning in <c>thinking</c>; <c>"think": false</c> hides it — R1 still thinks), <c>/api/tags</c>, <c>/api/version</c>.
/// </summary>
internal static class Ollama
{
    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "user", "assistant", "tool" };

    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        app.MapPost("/api/chat", (HttpContext context) => ChatAsync(context, state));
        app.MapPost("/api/generate", (HttpContext context) => GenerateAsync(context, state));
        app.MapGet("/api/tags", (HttpContext context) => context.Response.WriteAsJsonAsync(Tags(state), ServerJson.Web.OllamaTagsResponse));
        app.MapGet("/api/version", (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("{\"version\":\"0.12.0\"}");
        });
    }

    private static OllamaTagsResponse Tags(ServerState state) => new()
    {
        Models =
        [
            new OllamaModelDto
            {
                Name = state.Backend.ModelId,
                Model = state.Backend.ModelId,
                ModifiedAt = DateTimeOffset.FromUnixTimeSeconds(state.StartedUnix).ToString("o", CultureInfo.InvariantCulture),
                Digest = "",
                Details = new OllamaModelDetailsDto(),
            },
        ],
    };

    private static async Task ChatAsync(HttpContext context, ServerState state)
    {
        var body = await RequestBody.ReadAsync(context, ServerJson.Web.OllamaChatRequest);
        if (body.Messages is not { Count: > 0 } dtos) throw ApiException.BadValue("messages", "must be a non-empty array");
        var messages = new List<ChatMessage>();
        for (int i = 0; i < dtos.Count; i++)
        {
            var m = dtos[i];
            if (m?.Role is null || !Roles.Contains(m.Role)) throw ApiException.BadValue($"messages[{i}].role", "must be system, user, assistant or tool");
            messages.Add(new ChatMessage(m.Role, m.Content ?? ""));
        }
        var prompt = ChatCompletions.Render(state, messages);
        var request = ToRequest(state, prompt.Tokens, prompt.StartsInReasoning, body.Options, body.Format, ReasoningFormat.DeepSeek);
        await RunAsync(context, state, request, body.Stream ?? true, Think(body.Think), chat: true);
    }

    private static async Task GenerateAsync(HttpContext context, ServerState state)
    {
        var body = await RequestBody.ReadAsync(context, ServerJson.Web.OllamaGenerateRequest);
        if (string.IsNullOrEmpty(body.Prompt)) throw ApiException.BadValue("prompt", "is required");
        Backend.RenderedPrompt prompt;
        if (body.Raw == true) prompt = new Backend.RenderedPrompt(state.Backend.Tokenize(body.Prompt), false);
        else
        {
            var messages = new List<ChatMessage>();
            if (!string.IsNullOrEmpty(body.System)) messages.Add(new ChatMessage("system", body.System));
            messages.Add(new ChatMessage("user", body.Prompt));
            prompt = ChatCompletions.Render(state, messages);
        }
        var format = body.Raw == true ? ReasoningFormat.None : ReasoningFormat.DeepSeek;
        var request = ToRequest(state, prompt.Tokens, prompt.StartsInReasoning, body.Options, body.Format, format);
        await RunAsync(context, state, request, body.Stream ?? true, Think(body.Think), chat: false);
    }

    private static GenerationRequest ToRequest(ServerState state, int[] prompt, bool startsInReasoning, OllamaOptions? o,
        JsonElement? format, ReasoningFormat reasoning)
    {
        var backend = state.Backend;
        var sampling = RequestValidation.Sampling(backend.DefaultSampling, new SamplingFields(o?.Temperature, o?.TopP, o?.TopK,
            o?.MinP, o?.PresencePenalty, o?.FrequencyPenalty, o?.RepeatPenalty, o?.Seed), backend.VocabSize);
        if (o?.RepeatLastN is int lastN)
        {
            if (lastN < 0) throw ApiException.BadValue("options.repeat_last_n", "must be ≥ 0");
            sampling = sampling with { PenaltyLastN = lastN };
        }
        // num_predict: -1 (or any value < 1) means "until the model stops or the context is full".
        int? limit = o?.NumPredict is int n && n > 0 ? n : null;
        IReadOnlyList<string> stop = o?.Stop is { } list ? RequestValidation.StopList(list) : [];
        bool json = format is JsonElement f && f.ValueKind is JsonValueKind.String or JsonValueKind.Object
            && (f.ValueKind == JsonValueKind.Object || f.GetString() == "json");
        return new GenerationRequest
        {
            Prompt = prompt,
            StartsInReasoning = startsInReasoning,
            MaxTokens = RequestValidation.MaxTokens(limit, "options.num_predict", prompt.Length, backend.ContextSize),
            Sampling = sampling,
            Stop = stop,
            ReasoningFormat = reasoning,
            JsonObject = json,
        };
    }

    /// <summary>"think": absent or true or a level string → show the reasoning; false → hide it.</summary>
    private static bool Think(JsonElement? think) => think is not JsonElement e || e.ValueKind != JsonValueKind.False;

    private static async Task RunAsync(HttpContext context, ServerState state, GenerationRequest request, bool stream, bool think, bool chat)
    {
        var clock = Stopwatch.StartNew();
        var job = state.Submit(request, context.RequestAborted);
        var ct = context.RequestAborted;
        string model = state.Backend.ModelId;
        if (!stream)
        {
            var acc = await ChoiceAccumulator.CollectAsync(job, ct);
            var c = acc.Choices[0];
            string? thinking = think ? c.Reasoning.ToString() : null;
            await WriteFinal(context, chat, model, c.Content.ToString(), thinking, c.FinishReason, acc.Usage!, clock, writer: null, ct);
            return;
        }
        var ndjson = await SseWriter.NdjsonAsync(context);
        string? finish = null;
        JobUsage? usage = null;
        await foreach (var e in job.Events.ReadAllAsync(ct))
        {
            if (e is ChoiceEndEvent end) finish = end.FinishReason;
            if (e is JobEndEvent done) usage = done.Usage;
            if (e is not TokenEvent t) continue;
            string? thinking = think && t.Reasoning.Length > 0 ? t.Reasoning : null;
            if (thinking is null && t.Content.Length == 0) continue;
            string now = Now();
            if (chat)
            {
                var message = new OllamaMessage { Role = "assistant", Content = t.Content, Thinking = thinking };
                await ndjson.WriteAsync(new OllamaChatResponse { Model = model, CreatedAt = now, Message = message }, ServerJson.Web.OllamaChatResponse, ct);
            }
            else
            {
                var part = new OllamaGenerateResponse { Model = model, CreatedAt = now, Response = t.Content, Thinking = thinking };
                await ndjson.WriteAsync(part, ServerJson.Web.OllamaGenerateResponse, ct);
            }
        }
        await WriteFinal(context, chat, model, "", null, finish, usage!, clock, ndjson, ct);
    }

    private static async Task WriteFinal(HttpContext context, bool chat, string model, string content, string? thinking, string? finish,
        JobUsage usage, Stopwatch clock, SseWriter? writer, CancellationToken ct)
    {
        long total = Nanoseconds(clock.Elapsed.TotalSeconds), promptNs = Nanoseconds(usage.PromptSeconds), evalNs = Nanoseconds(usage.GenerationSeconds);
        if (chat)
        {
            var final = new OllamaChatResponse
            {
                Model = model, CreatedAt = Now(), Message = new OllamaMessage { Role = "assistant", Content = content, Thinking = thinking },
                Done = true, DoneReason = finish, TotalDuration = total, PromptEvalCount = usage.PromptTokens, PromptEvalDuration = promptNs,
                EvalCount = usage.CompletionTokens, EvalDuration = evalNs,
            };
            if (writer is null) await context.Response.WriteAsJsonAsync(final, ServerJson.Web.OllamaChatResponse, cancellationToken: ct);
            else await writer.WriteAsync(final, ServerJson.Web.OllamaChatResponse, ct);
        }
        else
        {
            var final = new OllamaGenerateResponse
            {
                Model = model, CreatedAt = Now(), Response = content, Thinking = thinking,
                Done = true, DoneReason = finish, TotalDuration = total, PromptEvalCount = usage.PromptTokens, PromptEvalDuration = promptNs,
                EvalCount = usage.CompletionTokens, EvalDuration = evalNs,
            };
            if (writer is null) await context.Response.WriteAsJsonAsync(final, ServerJson.Web.OllamaGenerateResponse, cancellationToken: ct);
            else await writer.WriteAsync(final, ServerJson.Web.OllamaGenerateResponse, ct);
        }
    }

    private static long Nanoseconds(double seconds) => (long)(seconds * 1e9);

    private static string Now() => DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture);
}
