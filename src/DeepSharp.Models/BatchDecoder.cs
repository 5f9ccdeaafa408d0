using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Float;
using DeepSharp.Models.Architectures;
using DeepSharp.Models.Blocks;

namespace DeepSharp.Models;

/// <summary>
/// Decodes the next token of several sessions of one model in a single forward pass: every projection and FFN runs
/// as one matrix multiplication over all sequences' rows, so each weight row is read (and dequantized) once per
/// step however many sequences are generating. RoPE and attention stay per sequence, with its own position and
/// KV cache (deepseek2: its own latent cache; the MoE runs each chosen expert once over the rows that chose it).
/// Each row goes through the arithmetic of <see cref="Session.Decode"/>, so the logits equal decoding every session
/// alone. Buffers are allocated once for up to <see cref="MaxSequences"/> sequences.
/// Not thread-safe; forward passes of the model stay serialised with those of its sessions.
/// </summary>
public sealed class BatchDecoder
{
    private readonly Model _model;
    private readonly ForwardState _st;
    private readonly float[] _logits;    // [maxSequences, nVocab]
    private readonly float[] _qOne;      // [nHead·headDim] one sequence's query
    private readonly float[] _attOne;    // [nHead·headDimV] one sequence's attention output
    private readonly Session[] _sessions;
    private readonly Deepseek2Batch? _deepseek2;   // the MLA/MoE row buffers of a deepseek2 model

    public BatchDecoder(Model model, int maxSequences)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequences, 1);
        _model = model;
        var s = model.Spec;
        MaxSequences = maxSequences;
        _st = new ForwardState(s, maxSequences, model.ContextSize, model.Pool);
        _logits = new float[checked(maxSequences * s.NVocab)];
        _qOne = new float[s.NHead * s.HeadDim];
        _attOne = new float[s.NHead * s.HeadDimV];
        _sessions = new Session[maxSequences];
        if (model.Network is Deepseek2 ds) _deepseek2 = new Deepseek2Batch(s, ds.Params, maxSequences, model.Pool);
    }

    public int MaxSequences { get; }

    /// <summary>
    /// Appends <paramref name="tokens"/>[i] to <paramref name="sessions"/>[i] for every i in one forward pass; each
    /// session's <see cref="Session.Logits"/> then predicts its next token (also readable via <see cref="LogitsOf"/>).
    /// Throws before doing anything when a session is full, disposed, of another model or listed twice.
    /// </summary>
    public void DecodeStep(IReadOnlyList<Session> sessions, ReadOnlySpan<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        Validate(sessions, tokens);
        if (!_model.Network.SupportsBatchDecoding)
        {
            DecodeOneByOne(sessions, tokens);
            return;
        }
        lock (_model.ForwardLock)
        {
            Forward(sessions, tokens);
        }
        for (int i = 0; i < sessions.Count; i++) sessions[i].AcceptDecoded(LogitsOf(i));
    }

    // A network that cannot batch (deepseek2's naive-attention test path) decodes each session in turn.
    private void DecodeOneByOne(IReadOnlyList<Session> sessions, ReadOnlySpan<int> tokens)
    {
        int nVocab = _model.VocabSize;
        for (int i = 0; i < sessions.Count; i++) sessions[i].Decode(tokens[i]).CopyTo(_logits.AsSpan(i * nVocab, nVocab));
    }

    /// <summary>Logits of row <paramref name="index"/> of the last step; valid until the next step.</summary>
    public ReadOnlySpan<float> LogitsOf(int index)
    {
        int nVocab = _model.VocabSize;
        return _logits.AsSpan(index * nVocab, nVocab);
    }

    private void Validate(IReadOnlyList<Session> sessions, ReadOnlySpan<int> tokens)
    {
        int k = sessions.Count;
        if (k == 0) throw new ArgumentException("no sessions to decode", nameof(sessions));
        if (k != tokens.Length) throw new ArgumentException($"{k} sessions but {tokens.Length} tokens", nameof(tokens));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, MaxSequences, nameof(sessions));
        for (int i = 0; i < k; i++)
        {
            var session = sessions[i];
            ArgumentNullException.ThrowIfNull(session, nameof(sessions));
            if (!ReferenceEquals(session.Owner, _model)) throw new ArgumentException("a session belongs to another model", nameof(sessions));
            ObjectDisposedException.ThrowIf(session.IsDisposed, session);
            if (session.Remaining < 1) throw new ContextFullException(session.Position, 1, session.ContextSize);
            if ((uint)tokens[i] >= (uint)_model.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"token id outside the vocabulary [0, {_model.VocabSize})");
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(sessions[j], session)) throw new ArgumentException("a session is listed twice", nameof(sessions));
        }
    }

    private void Forward(IReadOnlyList<Session> sessions, ReadOnlySpan<int> tokens)
    {
        var net = _model.Network;
        var spec = net.Spec;
        int k = sessions.Count, n = spec.NEmbd, half = spec.Rope.NRot / 2;
        for (int i = 0; i < k; i++)
        {
            _sessions[i] = sessions[i];
            net.TokEmbd.DecodeRow(tokens[i], _st.X.AsSpan(i * n, n));
            Rope.Angles(spec.Rope, sessions[i].Position, _st.RopeCos.AsSpan(i * half, half), _st.RopeSin.AsSpan(i * half, half));
        }
        if (net is Deepseek2 ds) DecodeDeepseek2Rows(ds, k);
        else DecodeRows(net, k);
        net.OutputNorm.Apply(_st.X, 0, k, _st.Xb);
        _st.MatMul.Run(net.Output, _st.Xb, k, _logits);
        Array.Clear(_sessions, 0, k);
    }

    private void DecodeDeepseek2Rows(Deepseek2 net, int k)
    {
        var batch = _deepseek2!;
        for (int i = 0; i < k; i++)
        {
            batch.Caches[i] = (Deepseek2Sequence)_sessions[i].Cache;
            batch.Positions[i] = _sessions[i].Position;
        }
        net.DecodeRows(_st, batch, k);
        Array.Clear(batch.Caches, 0, k);
    }

    // The llama-like blocks over the k rows of _st.X.
    private void DecodeRows(DecoderModel net, int k)
    {
        int n = net.Spec.NEmbd;
        for (int l = 0; l < net.Layers.Count; l++)
        {
            if (l == net.SkipLayer) continue;
            var layer = net.Layers[l];
            layer.AttnNorm.Apply(_st.X, 0, k, _st.Xb);
            Attention(layer.Attn, l, k);
            FloatKernels.Add(_st.Xb2.AsSpan(0, k * n), _st.X.AsSpan(0, k * n));
            layer.FfnNorm.Apply(_st.X, 0, k, _st.Xb);
            layer.Ffn.Forward(_st, k);
            FloatKernels.Add(_st.Xb2.AsSpan(0, k * n), _st.X.AsSpan(0, k * n));
        }
    }

    /// <summary>_st.Xb2 [k, nEmbd] ← attention of each row over its own sequence's cache (as GqaAttention.Forward).</summary>
    private void Attention(GqaAttention attn, int layer, int k)
    {
        var s = _model.Spec;
        int qWidth = s.NHead * s.HeadDim, kWidth = s.NHeadKv * s.HeadDim, vWidth = s.NHeadKv * s.HeadDimV;
        int attWidth = s.NHead * s.HeadDimV, half = s.Rope.NRot / 2;
        _st.MatMul.Run(attn.Wq, _st.Xb, k, _st.Q);
        _st.MatMul.Run(attn.Wk, _st.Xb, k, _st.K);
        _st.MatMul.Run(attn.Wv, _st.Xb, k, _st.V);
        for (int i = 0; i < k; i++)
        {
            var session = _sessions[i];
            var q = _st.Q.AsSpan(i * qWidth, qWidth);
            var key = _st.K.AsSpan(i * kWidth, kWidth);
            var v = _st.V.AsSpan(i * vWidth, vWidth);
            AddBias(attn.Bq, q);
            AddBias(attn.Bk, key);
            AddBias(attn.Bv, v);
            var cos = _st.RopeCos.AsSpan(i * half, half);
            var sin = _st.RopeSin.AsSpan(i * half, half);
            for (int h = 0; h < s.NHead; h++) Rope.Rotate(q.Slice(h * s.HeadDim, s.HeadDim), cos, sin, s.Rope.Style);
            for (int h = 0; h < s.NHeadKv; h++) Rope.Rotate(key.Slice(h * s.HeadDim, s.HeadDim), cos, sin, s.Rope.Style);
            session.KvCache.Store(layer, session.Position, key, v);
            q.CopyTo(_qOne);
            _st.Attention.Run(session.KvCache, layer, _qOne, 1, session.Position, _attOne);
            _attOne.CopyTo(_st.Att.AsSpan(i * attWidth, attWidth));
        }
        _st.MatMul.Run(attn.Wo, _st.Att, k, _st.Xb2);
    }

    private static void AddBias(float[]? bias, Span<float> y)
    {
        if (bias is not null) FloatKernels.Add(bias, y);
    }
}
