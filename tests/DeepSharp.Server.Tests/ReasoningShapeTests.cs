using System.Text;
using System.Text.Json;

namespace DeepSharp.Server.Tests;

/// <summary>The DeepSeek API shape (spec F.1) and llama.cpp's reasoning formats (F.2) on an exactly known token stream.</summary>
public sealed class ReasoningShapeTests
{
    // The prompt ends in "<think>\n" (as R1's template), so the output starts inside the thought.
    private static readonly string[] Script = ["abc", "</think>", "\n\n", "answer"];

    private const string Hello = """{"messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task Non_streaming_puts_the_thought_in_reasoning_content_and_counts_reasoning_tokens()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (status, body) = await t.PostJsonAsync("/v1/chat/completions", Hello);
        Assert.Equal(200, status);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("abc", message.GetProperty("reasoning_content").GetString());
        Assert.Equal("answer", message.GetProperty("content").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(5, usage.GetProperty("completion_tokens").GetInt32()); // 4 pieces + end of generation
        Assert.Equal(2, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32()); // "abc", "</think>"
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + 5, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Streaming_sends_role_then_reasoning_deltas_then_content_deltas_then_finish_usage_and_done()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (events, done) = await t.PostSseAsync("/v1/chat/completions",
            """{"messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}""");
        Assert.True(done);
        Assert.All(events, e => Assert.Equal("chat.completion.chunk", e.GetProperty("object").GetString()));
        Assert.Equal("assistant", events[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());

        var order = new StringBuilder();
        string reasoning = "", content = "";
        foreach (var e in events.Skip(1))
        {
            var choices = e.GetProperty("choices");
            if (choices.GetArrayLength() == 0) continue;
            var delta = choices[0].GetProperty("delta");
            if (delta.TryGetProperty("reasoning_content", out var r)) { reasoning += r.GetString(); order.Append('R'); }
            if (delta.TryGetProperty("content", out var c)) { content += c.GetString(); order.Append('C'); }
        }
        Assert.Equal("abc", reasoning);
        Assert.Equal("answer", content);
        Assert.Matches("^R+C+$", order.ToString());

        var finish = events[^2].GetProperty("choices")[0];
        Assert.Equal("stop", finish.GetProperty("finish_reason").GetString());
        var usageChunk = events[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(2, usageChunk.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [Fact]
    public async Task Reasoning_format_none_leaves_the_tags_in_content()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (_, body) = await t.PostJsonAsync("/v1/chat/completions",
            """{"messages":[{"role":"user","content":"hi"}],"reasoning_format":"none"}""");
        var message = body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("<think>\nabc</think>\n\nanswer", message.GetProperty("content").GetString());
        Assert.False(message.TryGetProperty("reasoning_content", out _));
    }

    [Fact]
    public async Task Server_wide_deepseek_legacy_keeps_tags_in_content_and_fills_reasoning_content()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script),
            new ServerOptions { ReasoningFormat = Scheduling.ReasoningFormat.DeepSeekLegacy });
        var (_, body) = await t.PostJsonAsync("/v1/chat/completions", Hello);
        var message = body.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("<think>\nabc</think>\n\nanswer", message.GetProperty("content").GetString());
        Assert.Equal("abc", message.GetProperty("reasoning_content").GetString());
    }

    [Fact]
    public async Task Reasoning_content_sent_back_is_accepted_and_never_reaches_the_template()
    {
        var backend = new ScriptedBackend(Script);
        await using var t = await TestServer.StartAsync(backend);
        var (status, _) = await t.PostJsonAsync("/v1/chat/completions", """
            {"messages":[{"role":"user","content":"hi"},
              {"role":"assistant","content":"answer","reasoning_content":"SECRET THOUGHT"},
              {"role":"user","content":[{"type":"text","text":"and"},{"type":"text","text":"then?"}]}]}
            """);
        Assert.Equal(200, status);
        var sent = backend.LastMessages!;
        Assert.Equal(3, sent.Count);
        Assert.All(sent, m => Assert.Null(m.ReasoningContent));
        Assert.DoesNotContain(sent, m => m.Content!.Contains("SECRET", StringComparison.Ordinal));
        Assert.Equal("and\nthen?", sent[2].Content);
    }

    [Fact]
    public async Task Stop_strings_end_the_answer_before_the_stop_text()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(["abc", "</think>", "\n\n", "ans", "wer"]));
        var (_, body) = await t.PostJsonAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"stop":["sw"]}""");
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("an", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Max_tokens_ends_with_finish_reason_length()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (_, body) = await t.PostJsonAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":1}""");
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal("abc", choice.GetProperty("message").GetProperty("reasoning_content").GetString());
        Assert.Equal(1, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task N_choices_each_get_the_whole_answer_and_reuse_the_prompt_cache()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (_, body) = await t.PostJsonAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"n":3,"seed":7}""");
        var choices = body.GetProperty("choices");
        Assert.Equal(3, choices.GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i, choices[i].GetProperty("index").GetInt32());
            Assert.Equal("answer", choices[i].GetProperty("message").GetProperty("content").GetString());
        }
        Assert.Equal(15, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Logprobs_are_the_log_softmax_of_the_step_logits_with_top_alternatives()
    {
        var backend = new ScriptedBackend(Script);
        await using var t = await TestServer.StartAsync(backend);
        var (_, body) = await t.PostJsonAsync("/v1/chat/completions",
            """{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":2}""");
        var entries = body.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("content");
        Assert.Equal(5, entries.GetArrayLength());
        // The scripted token has logit 30 and the other V-1 tokens 0: logprob = -log(1 + (V-1)·e^-30).
        double expected = -Math.Log(1 + (backend.VocabSize - 1) * Math.Exp(-30));
        var first = entries[0];
        Assert.Equal("abc", first.GetProperty("token").GetString());
        Assert.Equal(expected, first.GetProperty("logprob").GetDouble(), 6);
        Assert.Equal([97, 98, 99], first.GetProperty("bytes").EnumerateArray().Select(b => b.GetInt32()));
        var top = first.GetProperty("top_logprobs");
        Assert.Equal(2, top.GetArrayLength());
        Assert.Equal("abc", top[0].GetProperty("token").GetString());
        Assert.Equal(-30 + expected, top[1].GetProperty("logprob").GetDouble(), 4);
    }

    [Fact]
    public async Task Json_object_response_format_constrains_the_answer_to_a_json_object()
    {
        // After the thought, the model prefers "hello" (not JSON), then "}", "{", ...
        var backend = new ScriptedBackend(["abc", "</think>", "\n\n"], tail: ["hello", "}", "{", "\"k\"", ":", "1"]);
        await using var t = await TestServer.StartAsync(backend);
        var (_, free) = await t.PostJsonAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_tokens":6,"temperature":0}""");
        Assert.Equal("hellohellohello", free.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());

        var (_, json) = await t.PostJsonAsync("/v1/chat/completions",
            """{"messages":[{"role":"user","content":"answer in JSON"}],"max_tokens":20,"temperature":0,"response_format":{"type":"json_object"}}""");
        var choice = json.GetProperty("choices")[0];
        string content = choice.GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(content).RootElement.ValueKind);
        Assert.Equal("{}", content);
        Assert.Equal("abc", choice.GetProperty("message").GetProperty("reasoning_content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }
}
