using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DeepSharp.Models;
using DeepSharp.Runtime;
using DeepSharp.Sampling;
using Microsoft.Extensions.AI;

namespace DeepSharp.Extensions.AI;

/// <summary>
/// An <see cref="IChatClient"/> over the in-process engine. The model's reasoning arrives as
/// <see cref="TextReasoningContent"/> and the answer as <see cref="TextContent"/>; the last update carries
/// <see cref="UsageContent"/> and the finish reason. Calls may run concurrently: each gets its own session.
/// </summary>
/// <example><code>
/// using IChatClient client = DeepSharpChatClient.Load("DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf");
/// await foreach (var update in client.GetStreamingResponseAsync("Is 9.11 larger than 9.8?"))
///     Console.Write(update.Text);
/// </code></example>
public sealed class DeepSharpChatClient : IChatClient
{
    private const string ProviderName = "deepsharp";
    private readonly ITurnEngine _engine;
    private readonly SamplingOptions _defaultSampling;
    private readonly int _defaultMaxTokens;
    private readonly ChatClientMetadata _metadata;
    private readonly ChatModel? _ownedModel;
    private volatile bool _disposed;

    /// <summary>A client over a model the caller owns (and disposes after the client).</summary>
    /// <exception cref="InvalidOperationException">The model has no chat template and the options give none.</exception>
    public DeepSharpChatClient(ChatModel model, DeepSharpChatClientOptions? options = null)
        : this(model, options, sourceName: null, ownsModel: false)
    {
    }

    private DeepSharpChatClient(ChatModel model, DeepSharpChatClientOptions? options, string? sourceName, bool ownsModel)
        : this(new ModelTurnEngine(Checked(model), options?.ChatTemplate, options?.ModelId, sourceName), model.DefaultSampling, options)
    {
        _ownedModel = ownsModel ? model : null;
    }

    /// <summary>The seam for tests: a scripted engine instead of a model.</summary>
    internal DeepSharpChatClient(ITurnEngine engine, SamplingOptions defaultSampling, DeepSharpChatClientOptions? options)
    {
        options ??= new DeepSharpChatClientOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DefaultMaxOutputTokens, 1, nameof(options.DefaultMaxOutputTokens));
        _engine = engine;
        _defaultSampling = defaultSampling;
        _defaultMaxTokens = options.DefaultMaxOutputTokens;
        _metadata = new ChatClientMetadata(ProviderName, providerUri: null, defaultModelId: engine.ModelId);
    }

    /// <summary>Loads a GGUF file and returns a client that owns the model (disposing the client unloads it).</summary>
    /// <exception cref="InvalidOperationException">The file has no chat template and the options give none.</exception>
    public static DeepSharpChatClient Load(string path, LoadOptions? loadOptions = null, DeepSharpChatClientOptions? options = null)
    {
        var model = ChatModel.Load(path, loadOptions);
        try
        {
            return new DeepSharpChatClient(model, options, Path.GetFileName(path), ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var conversation = RequestMapping.ToEngineMessages(messages, options);
        var generation = RequestMapping.ToGenerationOptions(options, _defaultSampling, _defaultMaxTokens);

        // The engine computes synchronously; a worker thread runs it and hands events over a channel, so the caller's
        // thread is never blocked and a consumer that stops reading (or cancels) stops the generation.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var events = _engine.Start(conversation, generation, stop.Token);
        var channel = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var worker = Task.Run(() => Produce(events, channel.Writer), CancellationToken.None);
        var ids = new ResponseIds(_engine.ModelId);
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                // Once the caller cancels, nothing more is delivered, even if the worker already produced it (a tiny
                // model can finish a whole answer before the caller's cancellation is seen).
                cancellationToken.ThrowIfCancellationRequested();
                yield return ids.ToUpdate(e);
            }
        }
        finally
        {
            // The session must be back in the engine before this call is over, whatever ended it.
            await stop.CancelAsync().ConfigureAwait(false);
            await worker.ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Unloads the model if this client loaded it (<see cref="Load"/>).</summary>
    public void Dispose()
    {
        _disposed = true;
        _ownedModel?.Dispose();
    }

    private static ChatModel Checked(ChatModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model;
    }

    private static void Produce(IEnumerable<GenerationEvent> events, ChannelWriter<GenerationEvent> writer)
    {
        try
        {
            foreach (var e in events) writer.TryWrite(e);
            writer.Complete();
        }
#pragma warning disable CA1031 // Any engine failure is handed to the reader, which rethrows it to the caller.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            writer.Complete(ex);
        }
    }

    /// <summary>The ids and time shared by every update of one response, and the event → update conversion.</summary>
    private sealed class ResponseIds(string modelId)
    {
        private readonly string _responseId = "chatcmpl-" + Guid.NewGuid().ToString("N");
        private readonly string _messageId = "msg-" + Guid.NewGuid().ToString("N");
        private readonly DateTimeOffset _created = DateTimeOffset.UtcNow;

        public ChatResponseUpdate ToUpdate(GenerationEvent e)
        {
            var update = new ChatResponseUpdate(ChatRole.Assistant, [ToContent(e)])
            {
                ResponseId = _responseId,
                MessageId = _messageId,
                ModelId = modelId,
                CreatedAt = _created,
                RawRepresentation = e,
            };
            if (e.Result is { } result)
            {
                update.FinishReason = result.FinishReason is FinishReason.Length or FinishReason.ContextFull
                    ? ChatFinishReason.Length
                    : ChatFinishReason.Stop;
                update.AdditionalProperties = new AdditionalPropertiesDictionary
                {
                    ["seed"] = result.Seed,
                    ["prompt_tokens_per_second"] = result.PromptTokensPerSecond,
                    ["generation_tokens_per_second"] = result.GenerationTokensPerSecond,
                };
            }
            return update;
        }

        private static AIContent ToContent(GenerationEvent e) => e.Kind switch
        {
            GenerationEventKind.Reasoning => new TextReasoningContent(e.Text),
            GenerationEventKind.Content => new TextContent(e.Text),
            _ => new UsageContent(new UsageDetails
            {
                InputTokenCount = e.Result!.PromptTokens,
                OutputTokenCount = e.Result.GeneratedTokens,
                TotalTokenCount = e.Result.PromptTokens + e.Result.GeneratedTokens,
            }),
        };
    }
}
