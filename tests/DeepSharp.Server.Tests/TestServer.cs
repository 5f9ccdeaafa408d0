using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DeepSharp.Server.Backend;

namespace DeepSharp.Server.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 with a dynamic port, and an HttpClient pointed at it.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(DeepSharpServer server, HttpClient http)
    {
        Server = server;
        Http = http;
    }

    public DeepSharpServer Server { get; }
    public HttpClient Http { get; }
    public Uri BaseAddress => Server.BaseAddress;

    public static async Task<TestServer> StartAsync(IModelBackend backend, ServerOptions? options = null)
    {
        options = (options ?? new ServerOptions()) with { Port = 0, Host = "127.0.0.1" };
        var server = await DeepSharpServer.StartAsync(backend, options);
        var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (options.ApiKey is { } key) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return new TestServer(server, http);
    }

    public Task<HttpResponseMessage> PostAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public async Task<(int Status, JsonElement Body)> PostJsonAsync(string path, string json)
    {
        using var response = await PostAsync(path, json);
        string text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The <c>data:</c> payloads of an SSE response, without the final [DONE].</summary>
    public async Task<(List<JsonElement> Events, bool Done)> PostSseAsync(string path, string json)
    {
        using var response = await PostAsync(path, json);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        var events = new List<JsonElement>();
        bool done = false;
        foreach (string block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.StartsWith("data: ", block, StringComparison.Ordinal);
            string data = block["data: ".Length..];
            if (data == "[DONE]") { done = true; continue; }
            Assert.False(done, "nothing may follow [DONE]");
            events.Add(JsonDocument.Parse(data).RootElement.Clone());
        }
        return (events, done);
    }

    /// <summary>Waits (bounded) until every slot is idle and the queue is empty.</summary>
    public async Task WaitIdleAsync()
    {
        for (int i = 0; i < 200 && (Server.Scheduler.BusySlots > 0 || Server.Scheduler.QueueLength > 0); i++) await Task.Delay(25);
        Assert.Equal(0, Server.Scheduler.BusySlots);
        Assert.Equal(0, Server.Scheduler.QueueLength);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
