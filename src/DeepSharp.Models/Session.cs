using DeepSharp.Kernels.Attention;
using DeepSharp.Models.Blocks;

namespace DeepSharp.Models;

/// <summary>
/// One sequence being decoded: a preallocated KV cache and its logits; the forward buffers are the model's, shared by
/// its sessions (forward passes take turns under the model's lock), so a server's many slots do not each hold buffers
/// for a whole micro-batch. <see cref="Prefill"/> runs tokens in micro-batches, <see cref="Decode"/> one token; both
/// return the last position's logits as a view of this session's buffer that stays valid until its next call.
/// Nothing is allocated per token.
/// Context full: a call whose tokens would pass <see cref="ContextSize"/> throws <see cref="ContextFullException"/>
/// before doing anything; callers check <see cref="Remaining"/> to stop cleanly instead.
/// </summary>
public sealed class Session : IDisposable
{
    private readonly Model _model;
    private readonly SequenceCache _cache;
    private readonly float[] _logits;
    private bool _disposed, _hasLogits;

    internal Session(Model model)
    {
        _model = model;
        var s = model.Spec;
        ContextSize = model.ContextSize;
        int maxBatch = Math.Min(model.Options.BatchSize, ContextSize);
        _cache = model.Network.CreateCache(model.Options.KvType, ContextSize, maxBatch, model.Pool);
        _logits = new float[s.NVocab];
    }

    /// <summary>Tokens held in the KV cache; the next token goes to this position.</summary>
    public int Position { get; private set; }
    public int ContextSize { get; }
    /// <summary>Positions left before the context is full.</summary>
    public int Remaining => ContextSize - Position;
    public bool IsFull => Position >= ContextSize;
    /// <summary>The GQA key/value cache (llama-like architectures; deepseek2 keeps a latent cache instead, see <see cref="Cache"/>).</summary>
    public KvCache KvCache => (_cache as GqaSequenceCache)?.Kv
        ?? throw new InvalidOperationException($"a {_model.Spec.Arch} session has no GQA KV cache; use Cache");

    /// <summary>This sequence's cache, whatever its architecture.</summary>
    public SequenceCache Cache => _cache;

    /// <summary>Bytes of the KV cache (all positions, all layers).</summary>
    public long KvCacheBytes => _cache.ByteSize;

    /// <summary>Logits of the most recent call's last token (empty before the first call or after a rewind).</summary>
    public ReadOnlySpan<float> Logits => _hasLogits ? _logits : [];

    /// <summary>Appends <paramref name="tokens"/> (any number) and returns the logits after the last one.</summary>
    public ReadOnlySpan<float> Prefill(scoped ReadOnlySpan<int> tokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokens.IsEmpty) throw new ArgumentException("no tokens to process", nameof(tokens));
        if (tokens.Length > Remaining) throw new ContextFullException(Position, tokens.Length, ContextSize);
        int nVocab = _model.VocabSize;
        foreach (int id in tokens)
            if ((uint)id >= (uint)nVocab) throw new ArgumentOutOfRangeException(nameof(tokens), id, $"token id outside the vocabulary [0, {nVocab})");
        lock (_model.ForwardLock)
        {
            var state = _model.SharedForwardState();
            for (int done = 0; done < tokens.Length; done += state.MaxBatch)
            {
                var batch = tokens.Slice(done, Math.Min(state.MaxBatch, tokens.Length - done));
                _model.Network.Forward(batch, Position, state, _cache);
                Position += batch.Length;
            }
            state.Logits.CopyTo(_logits, 0);
        }
        _hasLogits = true;
        return _logits;
    }

    /// <summary>Appends one token and returns the logits for the next.</summary>
    public ReadOnlySpan<float> Decode(int token) => Prefill(new ReadOnlySpan<int>(in token));

    /// <summary>Forgets every position from <paramref name="toPosition"/> on (0 ≤ toPosition ≤ Position).</summary>
    public void Rewind(int toPosition)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(toPosition);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(toPosition, Position);
        Position = toPosition;
        _hasLogits = false;
    }

    internal Model Owner => _model;
    internal bool IsDisposed => _disposed;

    /// <summary>Records <paramref name="count"/> tokens appended to this session by a <see cref="BatchDecoder"/> step.</summary>
    internal void AcceptBatched(ReadOnlySpan<float> logits, int count)
    {
        logits.CopyTo(_logits);
        Position += count;
        _hasLogits = true;
    }

    /// <summary>Empties the session (same as Rewind(0)).</summary>
    public void Reset() => Rewind(0);

    public void Dispose() => _disposed = true;
}
