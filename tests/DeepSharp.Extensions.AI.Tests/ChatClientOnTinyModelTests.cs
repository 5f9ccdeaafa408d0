using Microsoft.Extensions.AI;

namespace DeepSharp.Extensions.AI.Tests;

/// <summary>The in-process engine used only through <see cref="IChatClient"/>, on a tiny synthetic R1 model.</summary>
public sealed class ChatClientOnTinyModelTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private readonly IChatClient _client = fixture.Client;

    private static ChatOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokens = maxTokens };

    private async Task<List<ChatResponseUpdate>> StreamAsync(string question, ChatOptions options, CancellationToken cancellation = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync(question, options, cancellation)) updates.Add(update);
        return updates;
    }

    private static string ReasoningOf(IEnumerable<ChatResponseUpdate> updates) =>
        string.Concat(updates.SelectMany(u => u.Contents).OfType<TextReasoningContent>().Select(c => c.Text));

    [Fact]
    public async Task Streaming_yields_reasoning_then_a_final_update_with_usage_and_finish_reason()
    {
        var updates = await StreamAsync("Why is the sky blue?", Greedy(12));

        Assert.True(updates.Count >= 2);
        Assert.All(updates[..^1], u => Assert.IsType<TextReasoningContent>(Assert.Single(u.Contents)));
        Assert.NotEmpty(ReasoningOf(updates));
        Assert.DoesNotContain(updates, u => u.Contents.OfType<TextContent>().Any());

        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Length, last.FinishReason);
        var usage = Assert.IsType<UsageContent>(Assert.Single(last.Contents)).Details;
        Assert.Equal(12, usage.OutputTokenCount);
        Assert.True(usage.InputTokenCount > 5, $"input tokens {usage.InputTokenCount}");
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);

        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        Assert.All(updates, u => Assert.Equal("tiny-qwen2", u.ModelId));
    }

    [Fact]
    public async Task A_longer_question_counts_more_input_tokens()
    {
        var shortUsage = (await _client.GetResponseAsync("Hi", Greedy(1))).Usage!;
        var longUsage = (await _client.GetResponseAsync("Hi, please explain how rainbows form after a storm", Greedy(1))).Usage!;
        Assert.True(longUsage.InputTokenCount > shortUsage.InputTokenCount);
    }

    [Fact]
    public async Task GetResponse_gathers_the_stream_into_one_assistant_message_with_usage()
    {
        var options = Greedy(10);
        string streamed = ReasoningOf(await StreamAsync("Count to three.", options));

        var response = await _client.GetResponseAsync("Count to three.", options);

        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.Equal(streamed, string.Concat(message.Contents.OfType<TextReasoningContent>().Select(c => c.Text)));
        Assert.Equal("", response.Text); // no answer: the random model never closes its thinking
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(10, response.Usage!.OutputTokenCount);
        Assert.Equal("tiny-qwen2", response.ModelId);
    }

    [Fact]
    public async Task The_seed_makes_sampling_repeatable()
    {
        ChatOptions Sampled(long seed) => new() { Temperature = 1.0f, TopP = 1.0f, Seed = seed, MaxOutputTokens = 16 };

        string a = (await _client.GetResponseAsync("Tell me a story.", Sampled(7))).Messages[0].Contents.OfType<TextReasoningContent>().Single().Text;
        string b = (await _client.GetResponseAsync("Tell me a story.", Sampled(7))).Messages[0].Contents.OfType<TextReasoningContent>().Single().Text;
        string c = (await _client.GetResponseAsync("Tell me a story.", Sampled(8))).Messages[0].Contents.OfType<TextReasoningContent>().Single().Text;

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Sampling_options_change_the_output_and_invalid_ones_are_rejected()
    {
        var greedy = ReasoningOf(await StreamAsync("Name a colour.", Greedy(16)));
        var penalized = ReasoningOf(await StreamAsync("Name a colour.", Greedy(16).WithPenalties(frequency: 5f, presence: 5f)));
        Assert.NotEqual(greedy, penalized);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.GetResponseAsync("x", new ChatOptions { Temperature = -1 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.GetResponseAsync("x", new ChatOptions { TopP = 1.5f }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.GetResponseAsync("x", new ChatOptions { MaxOutputTokens = 0 }));
    }

    [Fact]
    public async Task A_stop_sequence_ends_the_text_before_it()
    {
        string full = ReasoningOf(await StreamAsync("Say something.", Greedy(40)));
        string stop = full.Substring(full.Length / 2, 3);
        var options = Greedy(40);
        options.StopSequences = [stop];

        var response = await _client.GetResponseAsync("Say something.", options);

        string text = string.Concat(response.Messages[0].Contents.OfType<TextReasoningContent>().Select(c => c.Text));
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.True(response.Usage!.OutputTokenCount < 40);
    }

    [Fact]
    public async Task Cancelling_stops_the_generation_and_the_client_stays_usable()
    {
        using var cts = new CancellationTokenSource();
        int updates = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in _client.GetStreamingResponseAsync("Go on forever.", Greedy(200), cts.Token))
            {
                if (++updates == 2) await cts.CancelAsync();
            }
        });
        Assert.True(updates < 200);

        var after = await _client.GetResponseAsync("Still there?", Greedy(3));
        Assert.Equal(3, after.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Leaving_a_stream_early_frees_it_for_the_next_call()
    {
        await foreach (var _ in _client.GetStreamingResponseAsync("Hello", Greedy(200))) break;
        var response = await _client.GetResponseAsync("Hello", Greedy(4));
        Assert.Equal(4, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Concurrent_calls_each_get_the_answer_they_would_get_alone()
    {
        string[] questions = ["One?", "Two, please.", "Three is more words.", "Four!"];
        var alone = new List<string>();
        foreach (string q in questions) alone.Add(ReasoningOf(await StreamAsync(q, Greedy(12))));

        var together = await Task.WhenAll(questions.Select(q => Task.Run(() => StreamAsync(q, Greedy(12)))));

        Assert.Equal(alone, together.Select(ReasoningOf));
    }

    [Fact]
    public void Metadata_and_services_come_from_GetService()
    {
        var metadata = _client.GetService<ChatClientMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal("deepsharp", metadata.ProviderName);
        Assert.Equal("tiny-qwen2", metadata.DefaultModelId);
        Assert.Same(_client, _client.GetService<IChatClient>());
        Assert.Null(_client.GetService<ChatClientMetadata>("some key"));
        Assert.Null(_client.GetService<string>());
    }

    [Fact]
    public async Task Tools_and_images_are_refused_with_a_clear_message()
    {
        var tools = new ChatOptions { Tools = [AIFunctionFactory.Create(() => 42, "answer")] };
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => _client.GetResponseAsync("x", tools));
        Assert.Contains("tool", e.Message, StringComparison.OrdinalIgnoreCase);

        var image = new ChatMessage(ChatRole.User, [new TextContent("What is this?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]);
        e = await Assert.ThrowsAsync<NotSupportedException>(() => _client.GetResponseAsync([image]));
        Assert.Contains("DataContent", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_an_error_not_a_truncation()
    {
        string huge = string.Join(' ', Enumerable.Repeat("word", 400)); // the fixture's context is 256
        await Assert.ThrowsAsync<DeepSharp.Runtime.PromptTooLongException>(() => _client.GetResponseAsync(huge, Greedy(1)));
    }
}

internal static class ChatOptionsTestExtensions
{
    public static ChatOptions WithPenalties(this ChatOptions options, float frequency, float presence)
    {
        options.FrequencyPenalty = frequency;
        options.PresencePenalty = presence;
        return options;
    }
}
