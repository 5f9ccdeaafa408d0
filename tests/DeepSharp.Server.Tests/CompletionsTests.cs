using System.Text.Json;

namespace DeepSharp.Server.Tests;

/// <summary><c>/v1/completions</c>: raw text without template or reasoning split, legacy logprobs, echo, streaming.</summary>
public sealed class CompletionsTests
{
    private static readonly string[] Script = ["abc", "</think>", "def"];

    [Fact]
    public async Task Completion_returns_raw_text_with_tags_and_usage()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (status, body) = await t.PostJsonAsync("/v1/completions", """{"prompt":"Once","echo":true,"logprobs":1}""");
        Assert.Equal(200, status);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("Onceabc</think>def", choice.GetProperty("text").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var lp = choice.GetProperty("logprobs");
        Assert.Equal(["abc", "</think>", "def", ""], lp.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([4, 7, 15, 18], lp.GetProperty("text_offset").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(4, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Completion_defaults_to_16_tokens_and_streams_text_chunks()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(["x"]) { Endless = true });
        var (_, body) = await t.PostJsonAsync("/v1/completions", """{"prompt":["Once"]}""");
        Assert.Equal(new string('x', 16), body.GetProperty("choices")[0].GetProperty("text").GetString());
        var (events, done) = await t.PostSseAsync("/v1/completions", """{"prompt":[70,71],"max_tokens":3,"stream":true}""");
        Assert.True(done);
        Assert.Equal("xxx", string.Concat(events.Select(e => e.GetProperty("choices")[0].GetProperty("text").GetString())));
        Assert.Equal("length", events[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Completion_rejects_a_suffix_and_out_of_vocabulary_ids()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (s1, _) = await t.PostJsonAsync("/v1/completions", """{"prompt":"a","suffix":"b"}""");
        var (s2, e2) = await t.PostJsonAsync("/v1/completions", """{"prompt":[1,99999]}""");
        Assert.Equal(400, s1);
        Assert.Equal(400, s2);
        Assert.Equal("prompt", e2.GetProperty("error").GetProperty("param").GetString());
    }
}
