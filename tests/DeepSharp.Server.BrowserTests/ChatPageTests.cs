using System.Text.Json;
using System.Text.RegularExpressions;
using DeepSharp.Models;
using DeepSharp.Server.Backend;
using DeepSharp.Synth;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DeepSharp.Server.BrowserTests;

/// <summary>
/// The web chat page at <c>/</c> of the real <see cref="DeepSharpServer"/>, in chromium: ask, watch the thinking and the
/// answer stream in, fold the thinking away, continue the conversation, stop a generation.
/// </summary>
[Collection(ChromiumTests.Name)]
public sealed partial class ChatPageTests(ChromiumFixture chromium)
{
    private static readonly string[] Reasoning = ["The user", " asks for", " the capital", " of France.", " That is", " Paris."];
    private static readonly string[] Answer = ["The capital", " of France", " is Paris."];

    private static Task<DeepSharpServer> StartAsync(IModelBackend backend) =>
        DeepSharpServer.StartAsync(backend, new ServerOptions { Port = 0 }, ownsBackend: true);

    [Fact]
    public async Task A_question_shows_the_thinking_then_the_answer_and_the_thinking_folds_away()
    {
        await using var server = await StartAsync(ScriptedBackend.Answering("scripted-r1", Reasoning, Answer));
        var chat = await ChatPage.OpenAsync(chromium.Browser, server.BaseAddress);
        await Expect(chat.ModelName).ToHaveTextAsync("scripted-r1");

        await chat.AskAsync("What is the capital of France?");

        await Expect(chat.LastTurn).ToHaveAttributeAsync("data-state", "done");
        await Expect(chat.UserMessages).ToHaveTextAsync(["What is the capital of France?"]);
        await Expect(chat.ThinkingText).ToHaveTextAsync(string.Concat(Reasoning));
        await Expect(chat.Answer).ToHaveTextAsync(string.Concat(Answer));
        await Expect(chat.ThinkingSummary).ToHaveTextAsync(ThoughtFor());
        // usage.completion_tokens: the reasoning pieces, the closing tag, the answer pieces and the end token.
        await Expect(chat.Stats).ToHaveTextAsync(TokensPerSecond(Reasoning.Length + 1 + Answer.Length + 1));
        await chat.Page.ScreenshotAsync(new PageScreenshotOptions { Path = "/tmp/deepsharp-chat-page.png" });

        await chat.ThinkingSummary.ClickAsync();
        await Expect(chat.Thinking).Not.ToHaveAttributeAsync("open", "");
        await Expect(chat.ThinkingText).ToBeHiddenAsync();
        await Expect(chat.Answer).ToBeVisibleAsync();

        await chat.ThinkingSummary.ClickAsync();
        await Expect(chat.ThinkingText).ToBeVisibleAsync();
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task The_next_question_sends_the_history_without_the_earlier_reasoning()
    {
        var backend = ScriptedBackend.Answering("scripted-r1", Reasoning, Answer);
        await using var server = await StartAsync(backend);
        var chat = await ChatPage.OpenAsync(chromium.Browser, server.BaseAddress);
        await chat.AskAsync("What is the capital of France?");
        await Expect(chat.LastTurn).ToHaveAttributeAsync("data-state", "done");

        var request = await chat.Page.RunAndWaitForRequestAsync(
            () => chat.AskAsync("And of Italy?"), r => r.Url.EndsWith("/v1/chat/completions", StringComparison.Ordinal));
        await Expect(chat.AssistantMessages).ToHaveCountAsync(2);
        await Expect(chat.LastTurn).ToHaveAttributeAsync("data-state", "done");

        var body = request.PostDataJSON()!.Value;
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        var sent = body.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.Equal(
            [("user", "What is the capital of France?"), ("assistant", string.Concat(Answer)), ("user", "And of Italy?")], sent);
        Assert.DoesNotContain("reasoning_content", body.GetRawText(), StringComparison.Ordinal);

        // And the template saw the same three turns, without the thought.
        var rendered = backend.Conversations.Last();
        Assert.Equal(["user", "assistant", "user"], rendered.Select(m => m.Role));
        Assert.Equal(string.Concat(Answer), rendered[1].Content);
        Assert.Null(rendered[1].ReasoningContent);
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task Stop_ends_a_long_generation_in_the_page_and_on_the_server()
    {
        await using var server = await StartAsync(ScriptedBackend.Endless("scripted-r1", Reasoning, TimeSpan.FromMilliseconds(20)));
        var chat = await ChatPage.OpenAsync(chromium.Browser, server.BaseAddress);
        await chat.SetGenerationAsync(maxTokens: 100_000, temperature: 0.6);

        await chat.AskAsync("Think about it for a long time.");
        await Expect(chat.ThinkingText).ToContainTextAsync("Paris.The user asks"); // it has looped at least once
        await Expect(chat.Stop).ToBeEnabledAsync();
        await chat.Stop.ClickAsync();

        await Expect(chat.LastTurn).ToHaveAttributeAsync("data-state", "stopped");
        await Expect(chat.Note).ToHaveTextAsync("Stopped.");
        await Expect(chat.Stop).ToBeDisabledAsync();
        await Expect(chat.Send).ToBeEnabledAsync();
        // The server dropped the generation when the page hung up (100,000 tokens would take over half an hour).
        await WaitForIdleSlotsAsync(server.BaseAddress);
        string stoppedAt = await chat.ThinkingText.InnerTextAsync();
        await chat.AskAsync("Are you still there?");
        await Expect(chat.AssistantMessages).ToHaveCountAsync(2);
        Assert.Equal(stoppedAt, await chat.AssistantMessages.First.GetByTestId("thinking-text").InnerTextAsync());
        await chat.Stop.ClickAsync();
        await Expect(chat.LastTurn).ToHaveAttributeAsync("data-state", "stopped");
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task A_tiny_synthetic_model_streams_its_reasoning_to_the_page()
    {
        string dir = Directory.CreateTempSubdirectory("deepsharp-page-").FullName;
        try
        {
            string path = Path.Combine(dir, "tiny-qwen2.gguf");
            SynthModel.Write(new SynthOptions { Arch = "qwen2", Preset = "tiny-qwen2", FileType = "q8_0", Seed = 1 }, path);
            await using var server = await StartAsync(ChatModelBackend.Load(path, new LoadOptions { Threads = 1, ContextSize = 512 }));
            var chat = await ChatPage.OpenAsync(chromium.Browser, server.BaseAddress);
            await Expect(chat.ModelName).ToHaveTextAsync("tiny-qwen2");
            await chat.SetGenerationAsync(maxTokens: 32, temperature: 0);

            // The same request through the API, not streamed: what the page must show.
            var expected = await CompleteAsync(server.BaseAddress, "Why is the sky blue?", maxTokens: 32);

            await chat.AskAsync("Why is the sky blue?");

            await Expect(chat.LastTurn).ToHaveAttributeAsync("data-state", "done");
            // Random weights never close the thinking block R1's template opens: everything is reasoning.
            Assert.Matches(NotBlank(), expected.Reasoning);
            Assert.Equal(expected.Reasoning, await chat.ThinkingText.TextContentAsync());
            await Expect(chat.Answer).ToBeHiddenAsync();
            await Expect(chat.Stats).ToHaveTextAsync(TokensPerSecond(expected.CompletionTokens));
            if (expected.FinishReason == "length") await Expect(chat.Note).ToHaveTextAsync("Stopped at the token limit.");
            else await Expect(chat.Note).ToBeHiddenAsync();
            await Expect(chat.Error).ToBeHiddenAsync();
            Assert.Empty(chat.Problems);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task WaitForIdleSlotsAsync(Uri server)
    {
        using var http = new HttpClient { BaseAddress = server };
        for (int attempt = 0; ; attempt++)
        {
            using var health = JsonDocument.Parse(await http.GetStringAsync(new Uri("/health", UriKind.Relative)));
            if (health.RootElement.GetProperty("slots_processing").GetInt32() == 0) return;
            Assert.True(attempt < 200, "the server still generates after the page pressed stop");
            await Task.Delay(50);
        }
    }

    private static async Task<(string Reasoning, int CompletionTokens, string FinishReason)> CompleteAsync(Uri server, string question, int maxTokens)
    {
        using var http = new HttpClient { BaseAddress = server };
        string request = JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = question } },
            max_tokens = maxTokens,
            temperature = 0,
        });
        using var content = new StringContent(request, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var choice = body.RootElement.GetProperty("choices")[0];
        return (choice.GetProperty("message").GetProperty("reasoning_content").GetString() ?? "",
            body.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            choice.GetProperty("finish_reason").GetString()!);
    }

    private static Regex TokensPerSecond(int tokens) => new($@"^{tokens} tokens · [0-9.]+ tokens/s$");

    [GeneratedRegex(@"^Thought for [0-9]+\.[0-9] s$")]
    private static partial Regex ThoughtFor();

    [GeneratedRegex(@"\S")]
    private static partial Regex NotBlank();
}
