using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Float;
using DeepSharp.Models.Architectures;
using DeepSharp.Models.Blocks;

namespace DeepSharp.Models;

/// <summary>
/// Runs several sessions of one model through a single forward pass: every projection and FFN runs as one matrix
/// multiplication over all sequences' rows, so each weight row is read (and dequantized) once per step however many
/// sequences take part. A step appends one token per session (<see cref="DecodeStep"/>: continuous batching) or
/// several (<see cref="Step"/>: a prompt chunk riding along with other sessions' decode tokens). RoPE and attention
/// stay per sequence, with its own positions and KV cache (deepseek2: its own latent cache; the MoE runs each chosen
/// expert once over the rows that chose it); only each session's last row goes through the output projection. Each
/// row goes through the arithmetic of <see cref="Session.Prefill"/>, so the logits equal running every session alone.
/// Buffers are allocated once for up to <see cref="MaxSequences"/> sessions and <see cref="MaxRows"/> tokens.
/// Not thread-safe; forward passes of the model stay serialised with those of its sessions.
/// </summary>
public sealed class BatchDecoder
{
    private readonly Model _model;
    private readonly ForwardState _st;       // rows = the step's tokens, session by session
    private readonly float[] _logits;        // [maxSequences, nVocab]
    private readonly float[] _qGroup;        // [maxRows, nHead·headDim] one session's queries
    private readonly float[] _attGroup;      // [maxRows, nHead·headDimV] their attention outputs
    private readonly Session[] _sessions;    // [maxSequences] this step's sessions
    private readonly int[] _counts;          // [maxSequences] tokens each appends
    private readonly int[] _ones;            // [maxSequences] all 1: DecodeStep's counts
    private readonly KvCache[] _kvCaches;    // [maxSequences] a decode step's caches, session by session
    private readonly int[] _positions;       // [maxSequences] and the positions of their new keys
    private readonly Deepseek2Batch? _deepseek2;   // the MLA/MoE row buffers of a deepseek2 model

    public BatchDecoder(Model model, int maxSequences) : this(model, maxSequences, maxSequences) { }

    public BatchDecoder(Model model, int maxSequences, int maxRows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequences, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, maxSequences);
        _model = model;
        var s = model.Spec;
        MaxSequences = maxSequences;
        MaxRows = maxRows;
        _st = new ForwardState(s, maxRows, model.ContextSize, model.Pool);
        _logits = new float[checked(maxSequences * s.NVocab)];
        _qGroup = new float[checked(maxRows * s.NHead * s.HeadDim)];
        _attGroup = new float[checked(maxRows * s.NHead * s.HeadDimV)];
        _sessions = new Session[maxSequences];
        _counts = new int[maxSequences];
        _ones = new int[maxSequences];
        Array.Fill(_ones, 1);
        _kvCaches = new KvCache[maxSequences];
        _positions = new int[maxSequences];
        if (model.Network is Deepseek2 ds) _deepseek2 = new Deepseek2Batch(s, ds.Params, maxRows, model.Pool);
    }

    public int MaxSequences { get; }
    public int MaxRows { get; }

    /// <summary>
    /// Appends <paramref name="tokens"/>[i] to <paramref name="sessions"/>[i] for every i in one forward pass; each
    /// session's <see cref="Session.Logits"/> then predicts its next token (also readable via <see cref="LogitsOf"/>).
    /// Throws before doing anything when a session is full, disposed, of another model or listed twice.
    /// </summary>
    public void DecodeStep(IReadOnlyList<Session> sessions, ReadOnlySpan<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sessions.Count, MaxSequences, nameof(sessions));
        Step(sessions, tokens, _ones.AsSpan(0, sessions.Count));
    }

    /// <summary>
    /// Appends <paramref name="counts"/>[i] tokens to <paramref name="sessions"/>[i] (the sessions' tokens follow each
    /// other in <paramref name="tokens"/>) in one forward pass; each session's <see cref="Session.Logits"/> then
    /// predicts the token after its last. Throws before doing anything on invalid input (as <see cref="DecodeStep"/>,
    /// and when a count is below 1, the counts do not add up to the tokens, or they pass <see cref="MaxRows"/>).
    /// </summary>
    public void Step(IReadOnlyList<Session> sessions, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        Validate(sessions, tokens, counts);
        if (!_model.Network.SupportsBatchDecoding)
        {
            StepOneByOne(sessions, tokens, counts);
            return;
        }
        lock (_model.ForwardLock)
        {
            Forward(sessions, tokens, counts);
        }
        for (int i = 0; i < sessions.Count; i++) sessions[i].AcceptBatched(LogitsOf(i), counts[i]);
    }

    // A network that cannot batch (deepseek2's naive-attention test path) runs each session in turn.
    private void StepOneByOne(IReadOnlyList<Session> sessions, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts)
    {
        int nVocab = _model.VocabSize;
        for (int i = 0, first = 0; i < sessions.Count; first += counts[i], i++)
            sessions[i].Prefill(tokens.Slice(first, counts[i])).CopyTo(_logits.AsSpan(i * nVocab, nVocab));
    }

    /// <summary>Logits of session <paramref name="index"/> of the last step; valid until the next step.</summary>
    public ReadOnlySpan<float> LogitsOf(int index)
    {
        int nVocab = _model.VocabSize;
        return _logits.AsSpan(index * nVocab, nVocab);
    }

    private void Validate(IReadOnlyList<Session> sessions, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts)
    {
        int k = sessions.Count, total = 0;
        if (k == 0) throw new ArgumentException("no sessions to decode", nameof(sessions));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, MaxSequences, nameof(sessions));
        if (counts.Length != k) throw new ArgumentException($"{k} sessions but {counts.Length} counts", nameof(counts));
        foreach (int c in counts)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(c, 1, nameof(counts));
            total += c;
        }
        if (total != tokens.Length) throw new ArgumentException($"{k} sessions appending {total} tokens but {tokens.Length} tokens given", nameof(tokens));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(total, MaxRows, nameof(tokens));
        for (int i = 0; i < k; i++)
        {
            var session = sessions[i];
            ArgumentNullException.ThrowIfNull(session, nameof(sessions));
            if (!ReferenceEquals(session.Owner, _model)) throw new ArgumentException("a session belongs to another model", nameof(sessions));
            ObjectDisposedException.ThrowIf(session.IsDisposed, session);
            if (session.Remaining < counts[i]) throw new ContextFullException(session.Position, counts[i], session.ContextSize);
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(sessions[j], session)) throw new ArgumentException("a session is listed twice", nameof(sessions));
        }
        foreach (int id in tokens)
            if ((uint)id >= (uint)_model.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), id, $"token id outside the vocabulary [0, {_model.VocabSize})");
    }

    private void Forward(IReadOnlyList<Session> sessions, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts)
    {
        var net = _model.Network;
        var spec = net.Spec;
        int k = sessions.Count, n = spec.NEmbd, half = spec.Rope.NRot / 2, rows = 0;
        for (int i = 0; i < k; i++)
        {
            _sessions[i] = sessions[i];
            _counts[i] = counts[i];
            for (int j = 0; j < counts[i]; j++, rows++)
            {
                net.TokEmbd.DecodeRow(tokens[rows], _st.X.AsSpan(rows * n, n));
                Rope.Angles(spec.Rope, sessions[i].Position + j, _st.RopeCos.AsSpan(rows * half, half), _st.RopeSin.AsSpan(rows * half, half));
            }
        }
        if (net is Deepseek2 ds) DecodeDeepseek2Rows(ds, k, rows);
        else DecodeRows(net, k, rows);
        GatherLastRows(k, n);
        net.OutputNorm.Apply(_st.X, 0, k, _st.Xb);
        _st.MatMul.Run(net.Output, _st.Xb, k, _logits);
        Array.Clear(_sessions, 0, k);
    }

    // X row i ← the last row of session i, so the output projection runs over k rows only. Row i ≤ that row, and
    // a later session's rows lie beyond it, so copying in order overwrites nothing still needed.
    private void GatherLastRows(int k, int n)
    {
        for (int i = 0, last = -1; i < k; i++)
        {
            last += _counts[i];
            if (last != i) _st.X.AsSpan(last * n, n).CopyTo(_st.X.AsSpan(i * n, n));
        }
    }

    private void DecodeDeepseek2Rows(Deepseek2 net, int k, int rows)
    {
        var batch = _deepseek2!;
        for (int i = 0, r = 0; i < k; i++)
            for (int j = 0; j < _counts[i]; j++, r++)
            {
                batch.Caches[r] = (Deepseek2Sequence)_sessions[i].Cache;
                batch.Positions[r] = _sessions[i].Position + j;
            }
        net.DecodeRows(_st, batch, rows);
        Array.Clear(batch.Caches, 0, rows);
    }

    // The llama-like blocks over the rows of _st.X.
    private void DecodeRows(DecoderModel net, int k, int rows)
    {
        int n = net.Spec.NEmbd;
        for (int l = 0; l < net.Layers.Count; l++)
        {
            if (l == net.SkipLayer) continue;
            var layer = net.Layers[l];
            layer.AttnNorm.Apply(_st.X, 0, rows, _st.Xb);
            Attention(layer.Attn, l, k, rows);
            FloatKernels.Add(_st.Xb2.AsSpan(0, rows * n), _st.X.AsSpan(0, rows * n));
            layer.FfnNorm.Apply(_st.X, 0, rows, _st.Xb);
            layer.Ffn.Forward(_st, rows);
            FloatKernels.Add(_st.Xb2.AsSpan(0, rows * n), _st.X.AsSpan(0, rows * n));
        }
    }

    /// <summary>_st.Xb2 [rows, nEmbd] ← attention of each session's rows over its own cache (as GqaAttention.Forward).</summary>
    private void Attention(GqaAttention attn, int layer, int k, int rows)
    {
        var s = _model.Spec;
        int qWidth = s.NHead * s.HeadDim, kWidth = s.NHeadKv * s.HeadDim, vWidth = s.NHeadKv * s.HeadDimV;
        int attWidth = s.NHead * s.HeadDimV, half = s.Rope.NRot / 2;
        _st.MatMul.Run(attn.Wq, _st.Xb, rows, _st.Q);
        _st.MatMul.Run(attn.Wk, _st.Xb, rows, _st.K, sameActivations: true);
        _st.MatMul.Run(attn.Wv, _st.Xb, rows, _st.V, sameActivations: true);
        for (int i = 0, first = 0; i < k; first += _counts[i], i++)
        {
            var session = _sessions[i];
            for (int r = first; r < first + _counts[i]; r++)
            {
                var q = _st.Q.AsSpan(r * qWidth, qWidth);
                var key = _st.K.AsSpan(r * kWidth, kWidth);
                var v = _st.V.AsSpan(r * vWidth, vWidth);
                AddBias(attn.Bq, q);
                AddBias(attn.Bk, key);
                AddBias(attn.Bv, v);
                var cos = _st.RopeCos.AsSpan(r * half, half);
                var sin = _st.RopeSin.AsSpan(r * half, half);
                for (int h = 0; h < s.NHead; h++) Rope.Rotate(q.Slice(h * s.HeadDim, s.HeadDim), cos, sin, s.Rope.Style);
                for (int h = 0; h < s.NHeadKv; h++) Rope.Rotate(key.Slice(h * s.HeadDim, s.HeadDim), cos, sin, s.Rope.Style);
                session.KvCache.Store(layer, session.Position + r - first, key, v);
            }
        }
        // A decode step (one row per session): every session's attention in one pool run, not one run each.
        if (rows > k || !DecodeAttention(layer, k))
            for (int i = 0, first = 0; i < k; first += _counts[i], i++)
            {
                var session = _sessions[i];
                int count = _counts[i];
                _st.Q.AsSpan(first * qWidth, count * qWidth).CopyTo(_qGroup);
                _st.Attention.Run(session.KvCache, layer, _qGroup, count, session.Position, _attGroup);
                _attGroup.AsSpan(0, count * attWidth).CopyTo(_st.Att.AsSpan(first * attWidth, count * attWidth));
            }
        _st.MatMul.Run(attn.Wo, _st.Att, rows, _st.Xb2);
    }

    // Row i is session i's new token at its position; false when the caches take another path (not f16).
    private bool DecodeAttention(int layer, int k)
    {
        for (int i = 0; i < k; i++) (_kvCaches[i], _positions[i]) = (_sessions[i].KvCache, _sessions[i].Position);
        bool done = _st.Attention.TryRunDecode(_kvCaches, _positions, k, layer, _st.Q, _st.Att);
        Array.Clear(_kvCaches, 0, k);
        return done;
    }

    private static void AddBias(float[]? bias, Span<float> y)
    {
        if (bias is not null) FloatKernels.Add(bias, y);
    }
}
