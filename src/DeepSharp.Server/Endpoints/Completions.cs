using System.Text;
using System.Text.Json;
using DeepSharp.Server.Contracts;
using DeepSharp.Server.Scheduling;
using DeepSharp.Server.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeepSharp.Server.Endpoints;

/// <summary><c>POST /v1/completions</c>: raw text in, raw text out (no chat template, no reasoning split).</summary>
internal static class Completions
{
    /// <summary>OpenAI's default for this endpoint.</summary>
    private const int DefaultMaxTokens = 16;

    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        app.MapPost("/v1/completions", (HttpContext context) => HandleAsync(context, state));
        app.MapPost("/completions", (HttpContext context) => HandleAsync(context, state));
    }

    private static async Task HandleAsync(HttpContext context, ServerState state)
    {
        var body = await RequestBody.ReadAsync(context, ServerJson.Web.CompletionRequest);
        var (request, promptText) = ToGenerationRequest(body, state);
        var job = state.Submit(request, context.RequestAborted);
        string id = ServerState.NewId("cmpl-");
        string echo = body.Echo == true ? promptText : "";
        if (body.Stream == true) await StreamAsync(context, state, job, id, echo, body.StreamOptions?.IncludeUsage == true);
        else await RespondAsync(context, state, job, id, echo);
    }

    private static (GenerationRequest Request, string PromptText) ToGenerationRequest(CompletionRequest body, ServerState state)
    {
        var backend = state.Backend;
        if (body.Suffix is not null) throw ApiException.BadValue("suffix", "is not supported");
        if (body.Logprobs is int lp && (lp < 0 || lp > Logprobs.MaxTop)) throw ApiException.BadValue("logprobs", $"must be between 0 and {Logprobs.MaxTop}");
        var (prompt, text) = Prompt(body.Prompt, backend);
        var sampling = RequestValidation.Sampling(backend.DefaultSampling, new SamplingFields(body.Temperature, body.TopP, body.TopK,
            body.MinP, body.PresencePenalty, body.FrequencyPenalty, body.RepeatPenalty, body.Seed), backend.VocabSize);
        var request = new GenerationRequest
        {
            Prompt = prompt,
            MaxTokens = RequestValidation.MaxTokens(body.MaxTokens, "max_tokens", prompt.Length, backend.ContextSize, DefaultMaxTokens),
            Sampling = sampling,
            Stop = RequestValidation.Stop(body.Stop),
            TopLogprobs = body.Logprobs ?? -1,
            Choices = RequestValidation.Choices(body.N),
            ReasoningFormat = ReasoningFormat.None,
        };
        return (request, text);
    }

    /// <summary>"prompt": a string, an array of one string, or an array of token ids.</summary>
    private static (int[] Tokens, string Text) Prompt(JsonElement? prompt, Backend.IModelBackend backend)
    {
        if (prompt is not JsonElement e) throw ApiException.BadValue("prompt", "is required");
        if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 1 && e[0].ValueKind == JsonValueKind.String) e = e[0];
        if (e.ValueKind == JsonValueKind.String)
        {
            string text = e.GetString()!;
            int[] tokens = backend.Tokenize(text);
            return tokens.Length > 0 ? (tokens, text) : throw ApiException.BadValue("prompt", "must not be empty");
        }
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0)
            throw ApiException.BadValue("prompt", "must be a string, an array of one string, or an array of token ids");
        var ids = new List<int>();
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int id) || id < 0 || id >= backend.VocabSize)
                throw ApiException.BadValue("prompt", $"token ids must be integers in [0, {backend.VocabSize})");
            ids.Add(id);
        }
        var decoder = backend.CreateDecoder();
        var sb = new StringBuilder();
        foreach (int id in ids) sb.Append(decoder.Push(id));
        return ([.. ids], sb.Append(decoder.Flush()).ToString());
    }

    private static async Task RespondAsync(HttpContext context, ServerState state, GenerationJob job, string id, string echo)
    {
        var acc = await ChoiceAccumulator.CollectAsync(job, context.RequestAborted);
        var response = new CompletionResponse
        {
            Id = id,
            Created = ServerState.UnixNow(),
            Model = state.Backend.ModelId,
            Choices = [.. acc.Choices.Select((c, i) => new CompletionChoiceDto
            {
                Index = i,
                Text = echo + c.Content,
                FinishReason = c.FinishReason,
                Logprobs = job.Request.TopLogprobs >= 0 ? Legacy(c.Logprobs, echo.Length) : null,
            })],
            Usage = ChatCompletions.ToUsage(acc.Usage!),
        };
        await context.Response.WriteAsJsonAsync(response, ServerJson.Web.CompletionResponse, cancellationToken: context.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext context, ServerState state, GenerationJob job, string id, string echo, bool includeUsage)
    {
        var ct = context.RequestAborted;
        var sse = await SseWriter.StartAsync(context);
        long created = ServerState.UnixNow();
        CompletionResponse Chunk(CompletionChoiceDto? choice, UsageDto? usage = null) =>
            new() { Id = id, Created = created, Model = state.Backend.ModelId, Choices = choice is null ? [] : [choice], Usage = usage };
        if (echo.Length > 0)
            for (int i = 0; i < job.Request.Choices; i++)
                await sse.WriteAsync(Chunk(new CompletionChoiceDto { Index = i, Text = echo }), ServerJson.Web.CompletionResponse, ct);
        try
        {
            await foreach (var e in job.Events.ReadAllAsync(ct))
            {
                var chunk = e switch
                {
                    TokenEvent t => Chunk(new CompletionChoiceDto
                    {
                        Index = t.Choice,
                        Text = t.Content,
                        Logprobs = t.Logprob is { } lp ? Legacy([lp], 0) : null,
                    }),
                    ChoiceEndEvent end => Chunk(new CompletionChoiceDto { Index = end.Choice, Text = "", FinishReason = end.FinishReason }),
                    JobEndEvent done when includeUsage => Chunk(null, ChatCompletions.ToUsage(done.Usage)),
                    _ => null,
                };
                if (chunk is not null) await sse.WriteAsync(chunk, ServerJson.Web.CompletionResponse, ct);
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            await sse.WriteAsync(ErrorHandling.ToBody(ErrorHandling.ToApiError(e)), ServerJson.Web.ErrorResponse, ct);
        }
        await sse.DoneAsync(ct);
    }

    /// <summary>The legacy logprobs shape: parallel arrays and a {token: logprob} map per position.</summary>
    private static CompletionLogprobsDto Legacy(IReadOnlyList<TokenLogprob> entries, int offset)
    {
        var dto = new CompletionLogprobsDto();
        foreach (var lp in entries)
        {
            dto.Tokens.Add(lp.Text);
            dto.TokenLogprobs.Add(lp.Logprob);
            var top = new Dictionary<string, float>(StringComparer.Ordinal);
            foreach (var t in lp.Top) top.TryAdd(t.Text, t.Logprob);
            dto.TopLogprobs.Add(top);
            dto.TextOffset.Add(offset);
            offset += lp.Text.Length;
        }
        return dto;
    }
}
