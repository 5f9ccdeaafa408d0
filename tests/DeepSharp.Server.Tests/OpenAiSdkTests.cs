using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace DeepSharp.Server.Tests;

/// <summary>Real clients against the running server on loopback: the OpenAI .NET SDK and Microsoft.Extensions.AI.</summary>
public sealed class OpenAiSdkTests(SynthModelFixture fixture) : IClassFixture<SynthModelFixture>
{
    private static ChatClient Sdk(TestServer server, string key = SynthModelFixture.ApiKey) =>
        new("tiny-r1", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });

    [Fact]
    public async Task Sdk_non_streaming_gets_content_and_counted_usage()
    {
        var client = Sdk(fixture.PlainContent);
        ChatCompletion completion = await client.CompleteChatAsync(
            [new UserChatMessage("What is 2+2?")], new ChatCompletionOptions { MaxOutputTokenCount = 8, Temperature = 0 });
        int output = completion.Usage.OutputTokenCount;
        Assert.InRange(output, 1, 8);
        Assert.Equal(output < 8 ? ChatFinishReason.Stop : ChatFinishReason.Length, completion.FinishReason);
        Assert.True(completion.Usage.InputTokenCount > 5);
        Assert.Equal(completion.Usage.InputTokenCount + output, completion.Usage.TotalTokenCount);
        Assert.StartsWith("<think>\n", completion.Content[0].Text, StringComparison.Ordinal); // format none keeps the tags
    }

    [Fact]
    public async Task Sdk_sees_reasoning_as_reasoning_tokens_and_no_thought_in_content()
    {
        var client = Sdk(fixture.DeepSeek);
        ChatCompletion completion = await client.CompleteChatAsync(
            [new UserChatMessage("Think about it.")], new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0 });
        // Random weights never close the thought within 6 tokens here: all of it is reasoning, none is content.
        Assert.Equal(6, completion.Usage.OutputTokenCount);
        Assert.Equal(6, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
        Assert.True(completion.Content.Count == 0 || completion.Content[0].Text.Length == 0);
    }

    [Fact]
    public async Task Sdk_streaming_concatenates_to_the_non_streamed_answer_and_reports_usage()
    {
        var client = Sdk(fixture.PlainContent);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 8, Temperature = 0 };
        ChatCompletion whole = await client.CompleteChatAsync([new UserChatMessage("Count to three.")], options);
        string streamed = "";
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Count to three.")], options))
        {
            foreach (var part in update.ContentUpdate) streamed += part.Text;
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }
        Assert.Equal(whole.Content[0].Text, streamed);
        Assert.NotNull(usage);
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(whole.FinishReason, finish);
    }

    [Fact]
    public async Task Sdk_surfaces_a_wrong_key_as_ClientResultException_401_and_a_bad_value_as_400()
    {
        var bad = Sdk(fixture.DeepSeek, "wrong");
        var e = await Assert.ThrowsAsync<ClientResultException>(() => bad.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, e.Status);
        var client = Sdk(fixture.DeepSeek);
        var e400 = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { Temperature = 7 }));
        Assert.Equal(400, e400.Status);
        Assert.Contains("temperature", e400.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IChatClient_from_AsIChatClient_works_streamed_and_not_through_the_abstraction_only()
    {
        IChatClient chat = Sdk(fixture.PlainContent).AsIChatClient();
        var options = new ChatOptions { MaxOutputTokens = 8, Temperature = 0 };
        List<AiChatMessage> messages = [new(AiChatRole.System, "Be brief."), new(AiChatRole.User, "Hello?")];
        ChatResponse response = await chat.GetResponseAsync(messages, options);
        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.NotNull(response.Usage);
        Assert.InRange(response.Usage.OutputTokenCount ?? 0, 1, 8);

        string streamed = "";
        UsageDetails? usage = null;
        await foreach (var update in chat.GetStreamingResponseAsync(messages, options))
        {
            streamed += update.Text;
            foreach (var c in update.Contents) if (c is UsageContent u) usage = u.Details;
        }
        Assert.Equal(response.Text, streamed);
        Assert.Equal(response.Usage.OutputTokenCount, usage?.OutputTokenCount);
    }

    [Fact]
    public async Task Raw_json_has_reasoning_content_beside_content_and_the_prefix_cache_reuses_the_prompt()
    {
        const string body = """{"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Why?"}],"max_tokens":5,"seed":42}""";
        var (status, first) = await fixture.DeepSeek.PostJsonAsync("/v1/chat/completions", body);
        Assert.Equal(200, status);
        var message = first.GetProperty("choices")[0].GetProperty("message");
        Assert.False(string.IsNullOrEmpty(message.GetProperty("reasoning_content").GetString()));
        Assert.Equal(JsonValueKind.String, message.GetProperty("content").ValueKind);

        var (_, second) = await fixture.DeepSeek.PostJsonAsync("/v1/chat/completions", body);
        var usage = second.GetProperty("usage");
        // Same prompt: everything but the last prompt token (whose logits start generation) comes from the cache.
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() - 1, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        // Same seed, same prompt: the same answer, cache or not.
        Assert.Equal(message.GetProperty("reasoning_content").GetString(),
            second.GetProperty("choices")[0].GetProperty("message").GetProperty("reasoning_content").GetString());
    }

    [Fact]
    public async Task Models_health_and_metrics_describe_the_running_server()
    {
        using var models = JsonDocument.Parse(await fixture.DeepSeek.Http.GetStringAsync("/v1/models"));
        var data = models.RootElement.GetProperty("data");
        Assert.Equal("tiny-r1", data[0].GetProperty("id").GetString());
        Assert.Equal(256, data[0].GetProperty("context_length").GetInt32());
        using var health = JsonDocument.Parse(await fixture.DeepSeek.Http.GetStringAsync("/health"));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        await fixture.DeepSeek.PostJsonAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"x"}],"max_tokens":2}""");
        string metrics = await fixture.DeepSeek.Http.GetStringAsync("/metrics");
        Assert.Contains("deepsharp_requests_total{route=\"/v1/chat/completions\",status=\"200\"}", metrics, StringComparison.Ordinal);
        foreach (string name in new[] { "deepsharp_prompt_tokens_total", "deepsharp_generated_tokens_total", "deepsharp_prompt_tokens_per_second",
                     "deepsharp_generation_tokens_per_second", "deepsharp_queue_length", "deepsharp_slots_busy", "deepsharp_slots_total 2" })
            Assert.Contains(name, metrics, StringComparison.Ordinal);
    }
}
