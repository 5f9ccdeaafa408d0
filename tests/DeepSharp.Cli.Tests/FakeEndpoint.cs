using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace DeepSharp.Cli.Tests;

/// <summary>What the fake endpoint answers to the n-th request (0-based) for a user message.</summary>
internal sealed record FakeReply(int Status, string Body, TimeSpan Delay = default);

/// <summary>
/// A loopback HTTP server standing in for an OpenAI-compatible endpoint that misbehaves on demand (garbage, 429,
/// 5xx, slowness), so eval and distill can be tested without a network.
/// </summary>
internal sealed class FakeEndpoint : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<int, string, FakeReply> _reply;
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public FakeEndpoint(Func<int, string, FakeReply> reply)
    {
        _reply = reply;
        (_listener, Url) = Listen();
        _ = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>
    /// Waits (up to <paramref name="limit"/>) until <paramref name="count"/> requests have reached the handler. A client
    /// that timed out did not wait for its request to be handled, and on a loaded machine the handler can start after
    /// the client has already given up; the count is only final once those stragglers are in.
    /// </summary>
    public async Task<int> RequestsAfterAsync(int count, TimeSpan limit)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Requests < count && clock.Elapsed < limit) await Task.Delay(10);
        return Requests;
    }

    /// <summary>A chat.completion body with the reasoning in <c>reasoning_content</c>, as DeepSeek's API returns it.</summary>
    public static string Completion(string reasoning, string content, string finish = "stop") =>
        JsonSerializer.Serialize(new
        {
            id = "x",
            @object = "chat.completion",
            choices = new[] { new { index = 0, message = new { role = "assistant", content, reasoning_content = reasoning }, finish_reason = finish } },
            usage = new { prompt_tokens = 10, completion_tokens = 20, total_tokens = 30 },
        });

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        // Counted on arrival (headers read), not after the body: a client whose short timeout fires while its body is
        // in flight aborts the connection, the body read fails, and the attempt would go uncounted.
        int n = Interlocked.Increment(ref _requests) - 1;
        try
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            using var doc = JsonDocument.Parse(await reader.ReadToEndAsync());
            string user = doc.RootElement.GetProperty("messages")[0].GetProperty("content").GetString()!;
            var reply = _reply(n, user);
            if (reply.Delay > TimeSpan.Zero)
                await Task.Delay(reply.Delay, _stop.Token);
            byte[] body = Encoding.UTF8.GetBytes(reply.Body);
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The client gave up (a timeout test) or the server is stopping.
        }
    }

    // A port the system just gave out and took back can be taken by another test before the listener binds it (the
    // test projects and classes run in parallel): try another one then.
    private static (HttpListener Listener, string Url) Listen()
    {
        for (int attempt = 1; ; attempt++)
        {
            string url = $"http://127.0.0.1:{FreePort()}/";
            var listener = new HttpListener();
            listener.Prefixes.Add(url);
            try
            {
                listener.Start();
                return (listener, url);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _stop.Dispose();
    }
}
