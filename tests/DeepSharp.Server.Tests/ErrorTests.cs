using System.Net;
using System.Text;
using System.Text.Json;

namespace DeepSharp.Server.Tests;

/// <summary>Every refusal is an OpenAI-style error JSON with a 4xx/503 status — never a 500 or a hung connection.</summary>
public sealed class ErrorTests
{
    private static readonly string[] Script = ["abc", "</think>", "\n\n", "answer"];

    public static TheoryData<string, string?> BadBodies() => new()
    {
        { "{not json", null },
        { "", null },
        { "null", null },
        { "[1,2]", null },
        { """{"messages":"hi"}""", "messages" },
        { """{"messages":[]}""", "messages" },
        { """{}""", "messages" },
        { """{"messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role" },
        { """{"messages":[{"content":"hi"}]}""", "messages[0].role" },
        { """{"messages":[{"role":"user"}]}""", "messages[0].content" },
        { """{"messages":[{"role":"user","content":42}]}""", "messages[0].content" },
        { """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", "messages[0].content" },
        { """{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature" },
        { """{"messages":[{"role":"user","content":"hi"}],"temperature":-1}""", "temperature" },
        { """{"messages":[{"role":"user","content":"hi"}],"temperature":1e30}""", "temperature" },
        { """{"messages":[{"role":"user","content":"hi"}],"top_p":1.5}""", "top_p" },
        { """{"messages":[{"role":"user","content":"hi"}],"top_k":-3}""", "top_k" },
        { """{"messages":[{"role":"user","content":"hi"}],"max_tokens":-5}""", "max_tokens" },
        { """{"messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens" },
        { """{"messages":[{"role":"user","content":"hi"}],"max_tokens":99999999999999}""", "max_tokens" },
        { """{"messages":[{"role":"user","content":"hi"}],"n":1000}""", "n" },
        { """{"messages":[{"role":"user","content":"hi"}],"presence_penalty":5}""", "presence_penalty" },
        { """{"messages":[{"role":"user","content":"hi"}],"stop":[1]}""", "stop" },
        { """{"messages":[{"role":"user","content":"hi"}],"stop":""}""", "stop" },
        { """{"messages":[{"role":"user","content":"hi"}],"top_logprobs":3}""", "top_logprobs" },
        { """{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":99}""", "top_logprobs" },
        { """{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"yaml"}}""", "response_format.type" },
        { """{"messages":[{"role":"user","content":"hi"}],"reasoning_format":"verbose"}""", "reasoning_format" },
        { """{"messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Malformed_or_out_of_range_requests_get_400_with_an_openai_error(string body, string? param)
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (status, json) = await t.PostJsonAsync("/v1/chat/completions", body);
        Assert.Equal(400, status);
        var error = json.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.True(error.TryGetProperty("code", out _));
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
        await t.WaitIdleAsync();
    }

    [Fact]
    public async Task A_prompt_over_the_context_gets_400_exceed_context_size_error_with_the_counts()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script, contextSize: 64));
        string longText = new('x', 100);
        var (status, json) = await t.PostJsonAsync("/v1/chat/completions", $$"""{"messages":[{"role":"user","content":"{{longText}}"}]}""");
        Assert.Equal(400, status);
        var error = json.GetProperty("error");
        Assert.Equal("exceed_context_size_error", error.GetProperty("type").GetString());
        Assert.Equal("exceed_context_size_error", error.GetProperty("code").GetString());
        Assert.Equal(64, error.GetProperty("n_ctx").GetInt32());
        Assert.Equal("<user>".Length + 100 + "<assistant><think>\n".Length, error.GetProperty("n_prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Max_tokens_beyond_the_context_is_cut_to_what_fits_and_ends_with_length()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script) { Endless = true }, null);
        var (status, json) = await t.PostJsonAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"max_tokens":100000}""");
        Assert.Equal(200, status);
        Assert.Equal("length", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = json.GetProperty("usage");
        Assert.Equal(512, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Api_key_missing_or_wrong_gets_401_and_the_right_key_passes()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script), new ServerOptions { ApiKey = "sekret" });
        using var anonymous = new HttpClient { BaseAddress = t.BaseAddress };
        using var missing = await anonymous.PostAsync("/v1/chat/completions", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("invalid_api_key", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        wrong.Headers.Authorization = new("Bearer", "guess");
        using var wrongResponse = await anonymous.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);

        using var health = await anonymous.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var (status, _) = await t.PostJsonAsync("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Unknown_paths_and_methods_get_json_404_and_405()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        var (status, json) = await t.PostJsonAsync("/v1/nothing", "{}");
        Assert.Equal(404, status);
        Assert.Equal("invalid_request_error", json.GetProperty("error").GetProperty("type").GetString());
        // GET falls through to the web page's catch-all route, which has no such file: 404 (elsewhere 405).
        using var get = await t.Http.GetAsync("/v1/chat/completions");
        Assert.Contains(get.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.GetProperty("error").ValueKind);
        using var model = await t.Http.GetAsync("/v1/models/other");
        Assert.Equal(HttpStatusCode.NotFound, model.StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script), new ServerOptions { MaxRequestBodyBytes = 4096 });
        string big = $$"""{"messages":[{"role":"user","content":"{{new string('y', 10_000)}}"}]}""";
        var (status, json) = await t.PostJsonAsync("/v1/chat/completions", big);
        Assert.Equal(413, status);
        Assert.Equal("request_too_large", json.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Requests_beyond_slots_and_queue_get_503_with_retry_after()
    {
        var backend = new ScriptedBackend(Script) { Endless = true, StepDelayMs = 5 };
        await using var t = await TestServer.StartAsync(backend, new ServerOptions { Parallel = 1, QueueCapacity = 1 });
        const string body = """{"messages":[{"role":"user","content":"hi"}],"max_tokens":100}""";
        var running = t.PostAsync("/v1/chat/completions", body);
        var queued = t.PostAsync("/v1/chat/completions", body);
        for (int i = 0; i < 200 && t.Server.Scheduler.BusySlots + t.Server.Scheduler.QueueLength < 2; i++) await Task.Delay(10);
        using var refused = await t.PostAsync("/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("server_busy", error.GetProperty("code").GetString());
        using var a = await running;
        using var b = await queued;
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        await t.WaitIdleAsync();
    }

    [Fact]
    public async Task Ollama_routes_answer_errors_in_ollama_shape()
    {
        await using var t = await TestServer.StartAsync(new ScriptedBackend(Script));
        using var response = await t.Http.PostAsync("/api/chat", new StringContent("{\"messages\":[{\"role\":\"alien\"}]}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(JsonValueKind.String, body.GetProperty("error").ValueKind);
    }
}
