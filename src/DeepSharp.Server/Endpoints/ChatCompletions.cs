using System.Text.Json;
using DeepSharp.Chat;
using DeepSharp.Server.Contracts;
using DeepSharp.Server.Scheduling;
using DeepSharp.Server.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DeepSharp.Server.Endpoints;

/// <summary><c>POST /v1/chat/completions</c>: OpenAI's request, DeepSeek's reasoning_content in the answer.</summary>
internal static class ChatCompletions
{
    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "developer", "user", "assistant", "tool" };

    public static void Map(IEndpointRouteBuilder app, ServerState state)
    {
        app.MapPost("/v1/chat/completions", (HttpContext context) => HandleAsync(context, state));
        app.MapPost("/chat/completions", (HttpContext context) => HandleAsync(context, state));
    }

    private static async Task HandleAsync(HttpContext context, ServerState state)
    {
        var body = await RequestBody.ReadAsync(context, ServerJson.Web.ChatCompletionRequest);
        var request = ToGenerationRequest(body, state);
        var job = state.Submit(request, context.RequestAborted);
        string id = ServerState.NewId("chatcmpl-");
        if (body.Stream == true) await StreamAsync(context, state, job, id, body.StreamOptions?.IncludeUsage == true);
        else await RespondAsync(context, state, job, id);
    }

    internal static GenerationRequest ToGenerationRequest(ChatCompletionRequest body, ServerState state)
    {
        var backend = state.Backend;
        var messages = ToMessages(body.Messages);
        var format = RequestValidation.ReasoningFormat(body.ReasoningFormat, state.Options.ReasoningFormat);
        bool logprobs = body.Logprobs == true;
        if (body.TopLogprobs is int top && (top < 0 || top > Logprobs.MaxTop))
            throw ApiException.BadValue("top_logprobs", $"must be between 0 and {Logprobs.MaxTop}");
        if (body.TopLogprobs is not null && !logprobs) throw ApiException.BadValue("top_logprobs", "needs \"logprobs\": true");
        bool json = body.ResponseFormat?.Type switch
        {
            null or "text" => false,
            "json_object" or "json_schema" => true,
            _ => throw ApiException.BadValue("response_format.type", "must be text, json_object or json_schema"),
        };
        var sampling = RequestValidation.Sampling(backend.DefaultSampling, new SamplingFields(body.Temperature, body.TopP, body.TopK,
            body.MinP, body.PresencePenalty, body.FrequencyPenalty, body.RepeatPenalty, body.Seed), backend.VocabSize);
        var stop = RequestValidation.Stop(body.Stop);
        int choices = RequestValidation.Choices(body.N);

        var prompt = Render(state, messages);
        string limitName = body.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens";
        int maxTokens = RequestValidation.MaxTokens(body.MaxCompletionTokens ?? body.MaxTokens, limitName, prompt.Tokens.Length, backend.ContextSize);
        return new GenerationRequest
        {
            Prompt = prompt.Tokens,
            StartsInReasoning = prompt.StartsInReasoning,
            MaxTokens = maxTokens,
            Sampling = sampling,
            Stop = stop,
            TopLogprobs = logprobs ? body.TopLogprobs ?? 0 : -1,
            Choices = choices,
            ReasoningFormat = format,
            JsonObject = json,
        };
    }

    internal static Backend.RenderedPrompt Render(ServerState state, List<ChatMessage> messages)
    {
        try
        {
            return state.Backend.RenderChat(messages);
        }
        catch (Exception e) when (e is ChatTemplateException or InvalidOperationException or ArgumentException)
        {
            throw ApiException.BadRequest($"the chat template cannot render these messages: {e.Message}", "messages");
        }
    }

    /// <summary>Validates roles and content; reasoning_content of earlier assistant turns is accepted and dropped.</summary>
    private static List<ChatMessage> ToMessages(List<ChatMessageDto>? dtos)
    {
        if (dtos is null || dtos.Count == 0) throw ApiException.BadValue("messages", "must be a non-empty array");
        var messages = new List<ChatMessage>(dtos.Count);
        for (int i = 0; i < dtos.Count; i++)
        {
            var m = dtos[i] ?? throw ApiException.BadValue($"messages[{i}]", "must be an object");
            if (m.Role is null || !Roles.Contains(m.Role))
                throw ApiException.BadValue($"messages[{i}].role", "must be one of system, developer, user, assistant, tool");
            string role = m.Role == "developer" ? "system" : m.Role;
            string? text = ContentText(m.Content, $"messages[{i}].content", allowNull: role == "assistant");
            messages.Add(new ChatMessage(role, text) { Name = m.Name, ToolCallId = m.ToolCallId });
        }
        return messages;
    }

    /// <summary>A string, or text parts joined (only "text" parts: this server has no vision or audio).</summary>
    internal static string? ContentText(JsonElement? content, string param, bool allowNull)
    {
        if (content is not JsonElement e || e.ValueKind == JsonValueKind.Null)
            return allowNull ? null : throw ApiException.BadValue(param, "is required");
        if (e.ValueKind == JsonValueKind.String) return e.GetString();
        if (e.ValueKind != JsonValueKind.Array) throw ApiException.BadValue(param, "must be a string or an array of content parts");
        var parts = new List<string>();
        foreach (var part in e.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw ApiException.BadValue(param, "parts must be objects with a \"type\"");
            if (type.GetString() != "text")
                throw ApiException.BadValue(param, $"part type '{type.GetString()}' is not supported (text only)");
            if (!part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw ApiException.BadValue(param, "a text part needs a string \"text\"");
            parts.Add(text.GetString()!);
        }
        return string.Join("\n", parts);
    }

    private static async Task RespondAsync(HttpContext context, ServerState state, GenerationJob job, string id)
    {
        var acc = await ChoiceAccumulator.CollectAsync(job, context.RequestAborted);
        bool showReasoning = job.Request.ReasoningFormat != ReasoningFormat.None;
        var response = new ChatCompletionResponse
        {
            Id = id,
            Created = ServerState.UnixNow(),
            Model = state.Backend.ModelId,
            Choices = [.. acc.Choices.Select((c, i) => new ChatChoiceDto
            {
                Index = i,
                Message = new AssistantMessageDto
                {
                    Content = c.Content.ToString(),
                    ReasoningContent = showReasoning ? c.Reasoning.ToString() : null,
                },
                FinishReason = c.FinishReason,
                Logprobs = job.Request.TopLogprobs >= 0 ? new ChoiceLogprobsDto { Content = [.. c.Logprobs.Select(ToDto)] } : null,
            })],
            Usage = ToUsage(acc.Usage!),
        };
        await context.Response.WriteAsJsonAsync(response, ServerJson.Web.ChatCompletionResponse, cancellationToken: context.RequestAborted);
    }

    /// <summary>Role first, then reasoning deltas, then content deltas, a finish chunk per choice, usage, [DONE].</summary>
    private static async Task StreamAsync(HttpContext context, ServerState state, GenerationJob job, string id, bool includeUsage)
    {
        var ct = context.RequestAborted;
        var sse = await SseWriter.StartAsync(context);
        long created = ServerState.UnixNow();
        string model = state.Backend.ModelId;
        ChatCompletionChunk Chunk(ChunkChoiceDto? choice, UsageDto? usage = null) =>
            new() { Id = id, Created = created, Model = model, Choices = choice is null ? [] : [choice], Usage = usage };

        for (int i = 0; i < job.Request.Choices; i++)
            await sse.WriteAsync(Chunk(new ChunkChoiceDto { Index = i, Delta = new ChunkDeltaDto { Role = "assistant", Content = "" } }), ServerJson.Web.ChatCompletionChunk, ct);
        try
        {
            await foreach (var e in job.Events.ReadAllAsync(ct))
            {
                var chunk = e switch
                {
                    TokenEvent t => Chunk(new ChunkChoiceDto
                    {
                        Index = t.Choice,
                        Delta = new ChunkDeltaDto { ReasoningContent = NullIfEmpty(t.Reasoning), Content = NullIfEmpty(t.Content) },
                        Logprobs = t.Logprob is { } lp ? new ChoiceLogprobsDto { Content = [ToDto(lp)] } : null,
                    }),
                    ChoiceEndEvent end => Chunk(new ChunkChoiceDto { Index = end.Choice, Delta = new ChunkDeltaDto(), FinishReason = end.FinishReason }),
                    JobEndEvent done when includeUsage => Chunk(null, ToUsage(done.Usage)),
                    _ => null,
                };
                if (chunk is not null) await sse.WriteAsync(chunk, ServerJson.Web.ChatCompletionChunk, ct);
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Headers are gone: report the failure as a final event, as OpenAI-compatible servers do.
            await sse.WriteAsync(ErrorHandling.ToBody(ErrorHandling.ToApiError(e)), ServerJson.Web.ErrorResponse, ct);
        }
        await sse.DoneAsync(ct);
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    internal static UsageDto ToUsage(JobUsage u) => new()
    {
        PromptTokens = u.PromptTokens,
        CompletionTokens = u.CompletionTokens,
        TotalTokens = u.PromptTokens + u.CompletionTokens,
        PromptTokensDetails = new PromptTokensDetailsDto { CachedTokens = u.CachedPromptTokens },
        CompletionTokensDetails = new CompletionTokensDetailsDto { ReasoningTokens = u.ReasoningTokens },
    };

    private static TokenLogprobDto ToDto(TokenLogprob lp) => new()
    {
        Token = lp.Text,
        Logprob = lp.Logprob,
        Bytes = [.. lp.Bytes.Select(b => (int)b)],
        TopLogprobs = [.. lp.Top.Select(t => new TopLogprobDto { Token = t.Text, Logprob = t.Logprob, Bytes = [.. t.Bytes.Select(b => (int)b)] })],
    };
}
