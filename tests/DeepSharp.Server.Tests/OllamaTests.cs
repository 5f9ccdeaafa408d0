using System.Text;
using System.Text.Json;

namespace DeepSharp.Server.Tests;

/// <summary>Ollama's native API: NDJSON streaming, <c>thinking</c> beside <c>content</c>, the <c>think</c> flag, tags.</summary>
public sealed class OllamaTests
{
    private static readonly string[] Script = ["abc", "</think>", "\n\n", "answer"];

    private static async Task<List<JsonElement>> PostNdjsonAsync(TestServer t, string path, string json)
    {
        using var response = await t.PostAsync(path, json);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    [Fact]
    public async Task Chat_streams_thinking_then_content_as_ndjson_and_ends_with_done_and_counts()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var lines = await PostNdjsonAsync(t, "/api/chat", """{"model":"scripted","messages":[{"role":"user","content":"hi"}]}""");
        var thinking = new StringBuilder();
        var content = new StringBuilder();
        foreach (var line in lines[..^1])
        {
            Assert.False(line.GetProperty("done").GetBoolean());
            var m = line.GetProperty("message");
            if (m.TryGetProperty("thinking", out var th)) { Assert.Equal(0, content.Length); thinking.Append(th.GetString()); }
            content.Append(m.GetProperty("content").GetString());
        }
        Assert.Equal("abc", thinking.ToString());
        Assert.Equal("answer", content.ToString());
        var last = lines[^1];
        Assert.True(last.GetProperty("done").GetBoolean());
        Assert.Equal("stop", last.GetProperty("done_reason").GetString());
        Assert.Equal(5, last.GetProperty("eval_count").GetInt32());
        Assert.True(last.GetProperty("prompt_eval_count").GetInt32() > 0);
    }

    [Fact]
    public async Task Chat_without_streaming_and_with_think_false_hides_the_thinking()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (status, body) = await t.PostJsonAsync("/api/chat", """{"messages":[{"role":"user","content":"hi"}],"stream":false,"think":false}""");
        Assert.Equal(200, status);
        var m = body.GetProperty("message");
        Assert.Equal("answer", m.GetProperty("content").GetString());
        Assert.False(m.TryGetProperty("thinking", out _));
        Assert.True(body.GetProperty("done").GetBoolean());
    }

    [Fact]
    public async Task Generate_returns_thinking_and_response_and_honours_num_predict()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (_, body) = await t.PostJsonAsync("/api/generate", """{"prompt":"hi","stream":false,"think":true}""");
        Assert.Equal("abc", body.GetProperty("thinking").GetString());
        Assert.Equal("answer", body.GetProperty("response").GetString());
        var (_, cut) = await t.PostJsonAsync("/api/generate", """{"prompt":"hi","stream":false,"options":{"num_predict":1,"temperature":0}}""");
        Assert.Equal("length", cut.GetProperty("done_reason").GetString());
        Assert.Equal(1, cut.GetProperty("eval_count").GetInt32());
    }

    [Fact]
    public async Task Tags_lists_the_model()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        using var tags = JsonDocument.Parse(await t.Http.GetStringAsync("/api/tags"));
        var model = tags.RootElement.GetProperty("models")[0];
        Assert.Equal("scripted", model.GetProperty("name").GetString());
        Assert.Equal("gguf", model.GetProperty("details").GetProperty("format").GetString());
    }
}
