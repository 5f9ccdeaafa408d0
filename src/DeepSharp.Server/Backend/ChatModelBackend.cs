using DeepSharp.Chat;
using DeepSharp.Models;
using DeepSharp.Runtime;
using DeepSharp.Sampling;
using DeepSharp.Server.Scheduling;
using DeepSharp.Tokenizers;

namespace DeepSharp.Server.Backend;

/// <summary>The real backend: a GGUF chat model, one <see cref="Session"/> (KV cache) per slot.</summary>
public sealed class ChatModelBackend : IModelBackend
{
    private readonly ChatModel _model;
    private readonly Lock _batchGate = new();
    private BatchDecoder? _batch;
    private int _slotCount;

    public ChatModelBackend(ChatModel model, string? modelId = null, SamplingOptions? sampling = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        ModelId = modelId ?? DefaultId(model);
        DefaultSampling = sampling ?? model.DefaultSampling;
    }

    /// <summary>Loads <paramref name="path"/>; the backend owns (and disposes) the model.</summary>
    public static ChatModelBackend Load(string path, LoadOptions? options = null, string? modelId = null) =>
        new(ChatModel.Load(path, options), modelId ?? Path.GetFileNameWithoutExtension(path));

    public string ModelId { get; }
    public int ContextSize => _model.Model.ContextSize;
    public int VocabSize => _model.Model.VocabSize;
    public SamplingOptions DefaultSampling { get; }
    public ChatModel Model => _model;

    public RenderedPrompt RenderChat(IReadOnlyList<ChatMessage> messages)
    {
        string text = _model.RenderChat(messages);
        return new RenderedPrompt(_model.TokenizePrompt(text), ChatModel.EndsInReasoning(text));
    }

    public int[] Tokenize(string text) => _model.TokenizePrompt(text);

    public bool IsEndOfGeneration(int token) => _model.Tokenizer.IsEndOfGeneration(token);

    public byte[] TokenBytes(int token) => _model.Tokenizer.TokenBytes(token);

    public ITokenDecoder CreateDecoder() => new Decoder(new StreamingDecoder(_model.Tokenizer));

    public ISequenceSlot CreateSlot()
    {
        lock (_batchGate) _slotCount++;
        return new SessionSlot(_model.Model.CreateSession());
    }

    /// <summary>One batched step over all the slots' sessions (see <see cref="BatchDecoder.Step"/>).</summary>
    public void AppendEach(IReadOnlyList<ISequenceSlot> slots, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts)
    {
        ArgumentNullException.ThrowIfNull(slots);
        if (counts.Length != slots.Count) throw new ArgumentException($"{slots.Count} slots but {counts.Length} counts", nameof(counts));
        var sessions = new Session[slots.Count];
        for (int i = 0; i < slots.Count; i++)
            sessions[i] = slots[i] is SessionSlot s ? s.Session : throw new ArgumentException("a slot of another backend", nameof(slots));
        lock (_batchGate)
        {
            // Sized for a scheduler round: every slot's token plus one prompt budget (bigger steps grow it).
            if (_batch is null || _batch.MaxSequences < sessions.Length || _batch.MaxRows < tokens.Length)
            {
                int maxSequences = Math.Max(sessions.Length, _slotCount);
                _batch = new BatchDecoder(_model.Model, maxSequences, Math.Max(tokens.Length, maxSequences + SlotScheduler.PromptChunk));
            }
            _batch.Step(sessions, tokens, counts);
        }
        for (int i = 0, first = 0; i < slots.Count; first += counts[i], i++) ((SessionSlot)slots[i]).Appended(tokens.Slice(first, counts[i]));
    }

    public void Dispose() => _model.Dispose();

    private static string DefaultId(ChatModel model) =>
        model.Model.File.Metadata.GetStringOrNull("general.name") is { Length: > 0 } name ? name : "deepsharp";

    private sealed class Decoder(StreamingDecoder inner) : ITokenDecoder
    {
        public string Push(int token) => inner.Push(token);
        public string Flush() => inner.Flush();
    }

    private sealed class SessionSlot(Session session) : ISequenceSlot
    {
        private readonly List<int> _tokens = [];

        public Session Session => session;
        public IReadOnlyList<int> Tokens => _tokens;
        public int Remaining => session.Remaining;
        public ReadOnlySpan<float> Logits => session.Logits;

        public void Rewind(int position)
        {
            session.Rewind(position);
            _tokens.RemoveRange(position, _tokens.Count - position);
        }

        public void Append(ReadOnlySpan<int> tokens)
        {
            session.Prefill(tokens);
            foreach (int t in tokens) _tokens.Add(t);
        }

        /// <summary>Records tokens that a batched step appended to the session.</summary>
        public void Appended(ReadOnlySpan<int> tokens)
        {
            foreach (int t in tokens) _tokens.Add(t);
        }

        public void Dispose() => session.Dispose();
    }
}
