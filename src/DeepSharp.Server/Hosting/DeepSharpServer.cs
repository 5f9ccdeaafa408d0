using DeepSharp.Server.Backend;
using DeepSharp.Server.Endpoints;
using DeepSharp.Server.Scheduling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeepSharp.Server;

/// <summary>
/// The HTTP server on Kestrel: OpenAI/DeepSeek endpoints, Ollama endpoints, metrics, health and the web page over one
/// <see cref="IModelBackend"/> and a <see cref="SlotScheduler"/>. Start with <see cref="StartAsync"/> (port 0 picks a
/// free port, see <see cref="BaseAddress"/>); dispose to stop.
/// </summary>
public sealed class DeepSharpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerState _state;
    private readonly bool _ownsBackend;
    private int _disposed;

    private DeepSharpServer(WebApplication app, ServerState state, bool ownsBackend, Uri baseAddress)
    {
        _app = app;
        _state = state;
        _ownsBackend = ownsBackend;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the server listens, e.g. http://127.0.0.1:8080/.</summary>
    public Uri BaseAddress { get; }

    public ServerOptions Options => _state.Options;

    internal SlotScheduler Scheduler => _state.Scheduler;
    internal ServerMetrics Metrics => _state.Metrics;

    /// <summary>Builds the app and starts listening. With <paramref name="ownsBackend"/> the server disposes the backend.</summary>
    public static async Task<DeepSharpServer> StartAsync(IModelBackend backend, ServerOptions options, bool ownsBackend = false,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var metrics = new ServerMetrics();
        var scheduler = new SlotScheduler(backend, options.Parallel, options.QueueCapacity, metrics, options.AdmissionWindow);
        var state = new ServerState(backend, scheduler, metrics, options);
        var app = Build(state);
        try
        {
            await app.StartAsync(cancellation);
        }
        catch
        {
            await app.DisposeAsync();
            scheduler.Dispose();
            throw;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var bound = new Uri(addresses.First());
        return new DeepSharpServer(app, state, ownsBackend, new Uri($"http://{FormatHost(options)}:{bound.Port}/"));
    }

    private static string FormatHost(ServerOptions options) =>
        options.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.Address}]" : options.Address.ToString();

    private static WebApplication Build(ServerState state)
    {
        var options = state.Options;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DeepSharpServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Listen(options.Address, options.Port);
        });

        var app = builder.Build();
        app.Use((context, next) => ErrorHandling.InvokeAsync(context, next, state.Metrics));
        app.UseStatusCodePages(new StatusCodePagesOptions { HandleAsync = c => ErrorHandling.StatusCodeBodyAsync(c.HttpContext) });
        app.Use((context, next) => ApiKeyCheck.InvokeAsync(context, next, options.ApiKey));
        if (options.RateLimitPerMinute > 0)
        {
            var limiter = new ClientRateLimiter(options.RateLimitPerMinute, options.Clock);
            app.Use((context, next) => limiter.InvokeAsync(context, next, options.ApiKey));
        }
        ChatCompletions.Map(app, state);
        Completions.Map(app, state);
        Endpoints.Models.Map(app, state);
        Health.Map(app, state);
        Endpoints.Metrics.Map(app, state);
        Ollama.Map(app, state);
        WebPage.Map(app);
        return app;
    }

    /// <summary>Completes when the host stops (Ctrl+C / SIGTERM are handled by the host).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation = default) => _app.WaitForShutdownAsync(cancellation);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Fail running and queued jobs first so their requests finish, then stop Kestrel.
        _state.Scheduler.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsBackend) _state.Backend.Dispose();
    }
}
