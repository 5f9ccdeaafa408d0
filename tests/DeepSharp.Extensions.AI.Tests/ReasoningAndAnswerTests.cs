using DeepSharp.Sampling;
using Microsoft.Extensions.AI;

namespace DeepSharp.Extensions.AI.Tests;

/// <summary>
/// The reasoning/answer split and the request mapping, on a scripted engine behind the client (the model is replaced,
/// everything else is the real client). Asserted through <see cref="IChatClient"/>.
/// </summary>
public sealed class ReasoningAndAnswerTests
{
    // R1 output after "<think>\n": the thought, the closing tag, a blank line, the answer.
    private static readonly string[] R1Output =
        ["First", ", 9.11 vs", " 9.8: compare", " tenths.", "\n</th", "ink>\n\n", "9.8 is", " larger."];

    private static (IChatClient Client, ScriptedEngine Engine) Create(DeepSharpChatClientOptions? options = null)
    {
        var engine = new ScriptedEngine(R1Output);
        return (new DeepSharpChatClient(engine, SamplingOptions.R1Defaults, options), engine);
    }

    [Fact]
    public async Task Reasoning_streams_first_as_TextReasoningContent_then_the_answer_as_TextContent()
    {
        var (client, _) = Create();
        var kinds = new List<string>();
        string reasoning = "", answer = "";
        await foreach (var update in client.GetStreamingResponseAsync("Which is larger, 9.11 or 9.8?"))
        {
            foreach (var content in update.Contents)
            {
                switch (content)
                {
                    case TextReasoningContent r: reasoning += r.Text; kinds.Add("reasoning"); break;
                    case TextContent t: answer += t.Text; kinds.Add("text"); break;
                    case UsageContent: kinds.Add("usage"); break;
                }
            }
        }

        Assert.Equal("First, 9.11 vs 9.8: compare tenths.", reasoning.TrimEnd());
        Assert.Equal("9.8 is larger.", answer);
        int firstText = kinds.IndexOf("text");
        Assert.True(firstText > 0);
        Assert.All(kinds[..firstText], k => Assert.Equal("reasoning", k));
        Assert.All(kinds[firstText..^1], k => Assert.Equal("text", k));
        Assert.Equal("usage", kinds[^1]);
    }

    [Fact]
    public async Task GetResponse_keeps_reasoning_beside_the_answer_and_Text_is_the_answer()
    {
        var (client, _) = Create();
        var response = await client.GetResponseAsync("Which is larger, 9.11 or 9.8?");

        var message = Assert.Single(response.Messages);
        Assert.Equal("9.8 is larger.", response.Text);
        Assert.Equal("First, 9.11 vs 9.8: compare tenths.",
            string.Concat(message.Contents.OfType<TextReasoningContent>().Select(r => r.Text)).TrimEnd());
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(11, response.Usage!.InputTokenCount);
        Assert.Equal(R1Output.Length, response.Usage.OutputTokenCount);
        Assert.Equal("scripted-r1", response.ModelId);
    }

    [Fact]
    public async Task Earlier_reasoning_is_not_sent_back_and_instructions_lead_as_a_system_message()
    {
        var (client, engine) = Create();
        var history = new List<ChatMessage> { new(ChatRole.User, "Which is larger, 9.11 or 9.8?") };
        history.AddMessages(await client.GetResponseAsync(history));
        history.Add(new ChatMessage(ChatRole.User, "Are you sure?"));

        await client.GetResponseAsync(history, new ChatOptions { Instructions = "Be brief." });

        var sent = engine.LastMessages!;
        Assert.Equal(["system", "user", "assistant", "user"], sent.Select(m => m.Role));
        Assert.Equal("Be brief.", sent[0].Content);
        Assert.Equal("9.8 is larger.", sent[2].Content);
        Assert.Null(sent[2].ReasoningContent);
        Assert.DoesNotContain("compare tenths", sent[2].Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatOptions_map_onto_the_engine_options()
    {
        var (client, engine) = Create();
        await client.GetResponseAsync("x", new ChatOptions
        {
            Temperature = 0.3f, TopP = 0.8f, TopK = 20, MaxOutputTokens = 77, Seed = -1,
            FrequencyPenalty = 0.5f, PresencePenalty = 0.25f, StopSequences = ["END", "STOP"],
        });

        var o = engine.LastOptions!;
        Assert.Equal(77, o.MaxTokens);
        Assert.Equal(["END", "STOP"], o.StopStrings);
        Assert.Equal(0.3f, o.Sampling.Temperature);
        Assert.Equal(0.8f, o.Sampling.TopP);
        Assert.Equal(20, o.Sampling.TopK);
        Assert.Equal(0.5f, o.Sampling.FrequencyPenalty);
        Assert.Equal(0.25f, o.Sampling.PresencePenalty);
        Assert.Equal(ulong.MaxValue, o.Sampling.Seed);
    }

    [Fact]
    public async Task Unset_options_keep_the_model_defaults()
    {
        var (client, engine) = Create(new DeepSharpChatClientOptions { DefaultMaxOutputTokens = 123 });
        await client.GetResponseAsync("x");

        var o = engine.LastOptions!;
        Assert.Equal(123, o.MaxTokens);
        Assert.Equal(SamplingOptions.R1Defaults, o.Sampling);
        Assert.Empty(o.StopStrings);
    }

    [Fact]
    public async Task The_token_limit_is_reported_as_finish_reason_length()
    {
        var (client, _) = Create();
        var response = await client.GetResponseAsync("x", new ChatOptions { MaxOutputTokens = 2 });
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(2, response.Usage!.OutputTokenCount);
        Assert.Equal("", response.Text);
    }
}
