using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Attention;

/// <summary>
/// Absorbed MLA attention over a <see cref="LatentKvCache"/>: for each query token t and head h, with
/// q'[t,h] = [W_UKᵀ·q_nope ; q_pe] (Width values) and cache rows c'(s) = [latent(s) ; k_pe(s)],
/// out[t,h] = Σ_{s ≤ pos0+t} softmax_s(q'[t,h]·c'(s) · scale) · latent(s)   (kvLoraRank values).
/// One key/value row serves every head (MQA). With an F16 cache it follows llama.cpp's CPU flash attention like
/// <see cref="CausalAttention"/>: from <see cref="TiledAttention.MinTokens"/> query rows the tiled f32 path (a tile's
/// tokens × all heads against each widened latent row), below that the one-row numerics (q rounded to f16, online
/// softmax, f16 accumulator). The one-row path takes the heads 8 (or fewer) to a work item through
/// <see cref="FlashDecodeF16"/>, where the row widths allow: each block of cached rows is widened once for the item's
/// heads instead of once per head and position, with every head's steps unchanged.
/// </summary>
public sealed class LatentAttention : IParallelJob
{
    private readonly WorkerPool _pool;
    private readonly int _nHead, _kvLoraRank;
    private readonly float[][] _scores;   // [threads][nCtx]
    private readonly float[][] _qHalf;    // [threads][Width, or _headGroup·Width for the blocked path]
    private readonly TiledAttention _tiled;
    private readonly FlashDecodeF16[]? _blocks;   // [threads]: the one-row f16 path for _headGroup heads at a time
    private readonly float[][] _sums;             // [threads][_headGroup]
    private readonly int _headGroup;
    private LatentKvCache? _kv;
    private float[] _q = [], _out = [];
    private int _layer, _pos0, _nTok;
    private float _scale;
    private bool _useTiled;

    public LatentAttention(WorkerPool pool, int nHead, int width, int kvLoraRank, int nCtx)
    {
        ArgumentNullException.ThrowIfNull(pool);
        (_pool, _nHead) = (pool, nHead);
        _scores = new float[pool.Threads][];
        _kvLoraRank = kvLoraRank;
        _tiled = new TiledAttention(pool.Threads, nHead, group: nHead, width, kvLoraRank);
        _headGroup = HeadGroup(nHead);
        if (FlashDecodeF16.Supports(width, kvLoraRank))
            _blocks = [.. Enumerable.Range(0, pool.Threads).Select(_ => new FlashDecodeF16(_headGroup, width, kvLoraRank))];
        int queryRows = _blocks is null ? 1 : _headGroup;   // rounded queries a work item holds
        _qHalf = new float[pool.Threads][];
        _sums = new float[pool.Threads][];
        for (int i = 0; i < _scores.Length; i++)
            (_scores[i], _qHalf[i], _sums[i]) = (new float[nCtx], new float[queryRows * width], new float[_headGroup]);
    }

    // Heads per one-row work item: the largest divisor of nHead up to 8, one 8-lane set of FlashDecodeF16's scores
    // (DeepSeek-V2-Lite's 16 heads: two items a token, one for each of two threads).
    private static int HeadGroup(int nHead)
    {
        int group = Math.Min(8, nHead);
        while (nHead % group != 0) group--;
        return group;
    }

    /// <summary>output [nTok, nHead·kvLoraRank] ← attention of q [nTok, nHead·Width] over layer <paramref name="layer"/>.</summary>
    public void Run(LatentKvCache kv, int layer, float[] q, int nTok, int pos0, float scale, float[] output)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pos0 + nTok, _scores[0].Length);
        (_kv, _layer, _q, _pos0, _scale, _out, _nTok) = (kv, layer, q, pos0, scale, output, nTok);
        _useTiled = kv.Type == KvType.F16 && nTok >= TiledAttention.MinTokens && TiledAttention.Supports(_kvLoraRank);
        _pool.Run(this, _useTiled ? TiledAttention.Items(nTok, nKv: 1) : nTok * _nHead / HeadsPerItem(kv));
        (_kv, _q, _out) = (null, [], []);
    }

    public void Execute(int worker, int start, int limit)
    {
        var kv = _kv!;
        if (_useTiled)
        {
            for (int item = start; item < limit; item++)
                _tiled.RunItem(worker, kv, _layer, _q, _out, _scale, _pos0, _nTok, nKv: 1, item);
            return;
        }
        int width = kv.Width, rank = kv.KvLoraRank;
        if (HeadsPerItem(kv) > 1)
        {
            for (int item = start; item < limit; item++) HeadGroupF16(kv, worker, item);
            return;
        }
        for (int item = start; item < limit; item++)
        {
            int t = item / _nHead, h = item % _nHead, n = _pos0 + t + 1;
            var q = _q.AsSpan((t * _nHead + h) * width, width);
            var o = _out.AsSpan((t * _nHead + h) * rank, rank);
            if (kv.Type == KvType.F16) FlashF16(kv, worker, q, n, o);
            else TwoPassF32(kv, worker, q, n, o);
        }
    }

    private int HeadsPerItem(LatentKvCache kv) => _blocks is not null && kv.Type == KvType.F16 ? _headGroup : 1;

    // Item = (token t, heads h0 .. h0 + _headGroup − 1): FlashF16's steps for those heads, a block of rows at a time.
    private void HeadGroupF16(LatentKvCache kv, int worker, int item)
    {
        int groups = _nHead / _headGroup, t = item / groups, h0 = item % groups * _headGroup;
        int width = kv.Width, rank = kv.KvLoraRank;
        var qh = _qHalf[worker].AsSpan(0, _headGroup * width);
        HalfVector.RoundAll(_q.AsSpan((t * _nHead + h0) * width, _headGroup * width), qh);
        var o = _out.AsSpan((t * _nHead + h0) * rank, _headGroup * rank);
        var sums = _sums[worker];
        _blocks![worker].Run(kv, _layer, g: 0, _pos0 + t + 1, qh, _scale, o, sums);
        FlashDecodeF16.Normalize(o, sums, rank);
    }

    private void TwoPassF32(LatentKvCache kv, int worker, ReadOnlySpan<float> q, int n, Span<float> o)
    {
        var scores = _scores[worker].AsSpan(0, n);
        for (int s = 0; s < n; s++) scores[s] = FloatKernels.Dot(kv.FloatRow(_layer, s), q) * _scale;
        FloatKernels.Softmax(scores);
        o.Clear();
        for (int s = 0; s < n; s++) FloatKernels.Axpy(scores[s], kv.FloatRow(_layer, s)[..o.Length], o);
    }

    // One pass with a running max M and sum S; o holds Σ e^(s−M)·latent rounded to f16 after every step.
    private void FlashF16(LatentKvCache kv, int worker, ReadOnlySpan<float> q, int n, Span<float> o)
    {
        var qh = _qHalf[worker].AsSpan(0, q.Length);
        HalfVector.RoundAll(q, qh);
        float max = float.NegativeInfinity, sum = 0;
        o.Clear();
        for (int s = 0; s < n; s++)
        {
            var row = kv.HalfRow(_layer, s);
            float score = HalfDot.LikeGgml(row, qh) * _scale;
            float ms = 1f, vs = 1f;
            if (score > max)
            {
                ms = MathF.Exp(max - score);
                max = score;
                HalfVector.ScaleRounded(o, ms);
            }
            else
            {
                vs = MathF.Exp(score - max);
            }
            HalfVector.FusedAxpyRounded(row[..o.Length], vs, o);
            sum = sum * ms + vs;
        }
        FlashDecodeF16.Normalize(o, new ReadOnlySpan<float>(in sum), o.Length);
    }
}
