using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Attention;

/// <summary>
/// Causal grouped-query attention over the KV cache for a batch of queries at positions pos0 .. pos0+nTok−1:
/// out[t, h] = Σ_{s ≤ pos0+t} softmax_s(q[t,h] · K[s, g] / √headDim) · V[s, g], g = h / (nHead / nHeadKv)
/// (consecutive query heads share a KV head). The batch's own K/V must already be stored. Work items are
/// (token, head) pairs spread over the pool. With an F16 cache it follows llama.cpp's CPU flash attention: from
/// <see cref="TiledAttention.MinTokens"/> query rows its tiled path (<see cref="TiledAttention"/>, f32 throughout),
/// below that its one-row path's numerics (q rounded to f16, one-pass online softmax, an f16 output accumulator) so
/// near-tied logits break the same way; otherwise it is the plain two-pass softmax in f32.
/// </summary>
public sealed class CausalAttention : IParallelJob
{
    private readonly WorkerPool _pool;
    private readonly int _nHead, _groupSize, _headDim, _headDimV;
    private readonly float _scale;
    private readonly float[][] _scores;   // [threads][nCtx]
    private readonly float[][] _qHalf;    // [threads][groupSize·headDim] the group's queries rounded to f16
    private readonly float[][] _kRow, _vRow;   // [threads][headDim], [threads][headDimV]: one cached key/value widened
    private readonly float[][] _max, _sum;     // [threads][groupSize]: each head's running softmax max and sum
    private readonly float[][] _scratchScale;  // [threads][groupSize]: each head's weight of the current value row
    private readonly TiledAttention _tiled;
    private readonly FlashDecodeF16[]? _blocks;   // [threads]: the one-row f16 path in blocks of positions, where it applies
    private KvCache? _kv;
    private KvCache[] _caches = [];   // RunDecode: row i's own cache, and the position of its new key
    private int[] _positions = [];
    private float[] _q = [], _out = [];
    private int _layer, _pos0, _nTok;
    private bool _useTiled;

    public CausalAttention(WorkerPool pool, int nHead, int nHeadKv, int headDim, int headDimV, int nCtx)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (nHead % nHeadKv != 0) throw new ArgumentException($"n_head {nHead} is not a multiple of n_head_kv {nHeadKv}", nameof(nHeadKv));
        (_pool, _nHead, _groupSize, _headDim, _headDimV) = (pool, nHead, nHead / nHeadKv, headDim, headDimV);
        _scale = 1f / MathF.Sqrt(headDim);
        _scores = new float[pool.Threads][];
        _qHalf = new float[pool.Threads][];
        (_kRow, _vRow, _max, _sum) = (new float[pool.Threads][], new float[pool.Threads][], new float[pool.Threads][], new float[pool.Threads][]);
        _scratchScale = new float[pool.Threads][];
        for (int i = 0; i < _scores.Length; i++)
        {
            (_scores[i], _qHalf[i]) = (new float[nCtx], new float[_groupSize * headDim]);
            (_kRow[i], _vRow[i], _max[i], _sum[i]) = (new float[headDim], new float[headDimV], new float[_groupSize], new float[_groupSize]);
            _scratchScale[i] = new float[_groupSize];
        }
        _tiled = new TiledAttention(pool.Threads, nHead, _groupSize, headDim, headDimV);
        if (FlashDecodeF16.Supports(headDim, headDimV))
            _blocks = [.. Enumerable.Range(0, pool.Threads).Select(_ => new FlashDecodeF16(_groupSize, headDim, headDimV))];
    }

    /// <summary>output [nTok, nHead·headDimV] ← attention of q [nTok, nHead·headDim] over layer <paramref name="layer"/>.</summary>
    public void Run(KvCache kv, int layer, float[] q, int nTok, int pos0, float[] output)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pos0 + nTok, _scores[0].Length);
        (_kv, _layer, _q, _pos0, _out, _nTok) = (kv, layer, q, pos0, output, nTok);
        int nKv = _nHead / _groupSize;
        _useTiled = kv.Type == KvType.F16 && nTok >= TiledAttention.MinTokens && TiledAttention.Supports(_headDimV);
        // Tiled: one item per (tile of tokens, KV head). F16: one per (token, KV head), whose query heads share each
        // widened key and value row.
        int items = _useTiled ? TiledAttention.Items(nTok, nKv) : kv.Type == KvType.F16 ? nTok * nKv : nTok * _nHead;
        _pool.Run(this, items);
        (_kv, _q, _out) = (null, [], []);
    }

    /// <summary>
    /// Decode's rows of several sequences in one dispatch: output row i ← attention of query row i over keys
    /// 0..<paramref name="positions"/>[i] of <paramref name="caches"/>[i] (its new key already stored), for i &lt;
    /// <paramref name="rows"/>. Each row takes exactly the steps <see cref="Run"/> takes for it alone (nTok 1 at
    /// pos0 = its position); the sequences share one pool run instead of one each. Returns false, having done
    /// nothing, unless every cache holds f16 rows (the flash path).
    /// </summary>
    public bool TryRunDecode(KvCache[] caches, int[] positions, int rows, int layer, float[] q, float[] output)
    {
        ArgumentNullException.ThrowIfNull(caches);
        ArgumentNullException.ThrowIfNull(positions);
        for (int i = 0; i < rows; i++)
        {
            if (caches[i].Type != KvType.F16) return false;
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(positions[i], _scores[0].Length);
        }
        (_caches, _positions, _layer, _q, _out, _nTok) = (caches, positions, layer, q, output, rows);
        _pool.Run(this, rows * (_nHead / _groupSize));
        (_caches, _positions, _q, _out) = ([], [], [], []);
        return true;
    }

    public void Execute(int worker, int start, int limit)
    {
        if (_caches.Length > 0)
        {
            // Items are (row, KV head).
            int nKv = _nHead / _groupSize;
            for (int item = start; item < limit; item++)
            {
                int row = item / nKv;
                FlashF16(_caches[row], worker, row, _positions[row] + 1, item % nKv);
            }
            return;
        }
        var kv = _kv!;
        if (_useTiled)
        {
            for (int item = start; item < limit; item++)
                _tiled.RunItem(worker, kv, _layer, _q, _out, _scale, _pos0, _nTok, _nHead / _groupSize, item);
            return;
        }
        if (kv.Type == KvType.F16)
        {
            // Last tokens first: they see the most keys, so the pool's first thread starts on the heaviest items and what the
            // others take from the back of its range at the end are the lightest, which evens out the threads.
            int nKv = _nHead / _groupSize, nTok = _nTok;
            for (int item = start; item < limit; item++)
            {
                int t = nTok - 1 - item / nKv;
                FlashF16(kv, worker, t, _pos0 + t + 1, item % nKv);
            }
            return;
        }
        for (int item = start; item < limit; item++)
        {
            int t = item / _nHead, h = item % _nHead, g = h / _groupSize;
            int n = _pos0 + t + 1;
            var q = _q.AsSpan((t * _nHead + h) * _headDim, _headDim);
            var o = _out.AsSpan((t * _nHead + h) * _headDimV, _headDimV);
            var scores = _scores[worker].AsSpan(0, n);
            for (int s = 0; s < n; s++) scores[s] = kv.DotK(_layer, s, g * _headDim, q) * _scale;
            FloatKernels.Softmax(scores);
            o.Clear();
            for (int s = 0; s < n; s++) kv.AccumulateV(_layer, s, g * _headDimV, scores[s], o);
        }
    }

    // Query row t's heads of KV group g, one pass over keys 0..n−1 with a running max M and sum S per head; each
    // head's o holds Σ e^(s−M)·v rounded to f16 after every step. Every head takes exactly the steps it would alone;
    // the group only shares the widening of each key and value row.
    private void FlashF16(KvCache kv, int worker, int t, int n, int g)
    {
        int group = _groupSize;
        var qh = _qHalf[worker];
        var (max, sum) = (_max[worker], _sum[worker]);
        for (int j = 0; j < group; j++)
        {
            int h = g * group + j;
            HalfVector.RoundAll(_q.AsSpan((t * _nHead + h) * _headDim, _headDim), qh.AsSpan(j * _headDim, _headDim));
            Output(t, h).Clear();
            (max[j], sum[j]) = (float.NegativeInfinity, 0f);
        }
        var output = _out.AsSpan((t * _nHead + g * group) * _headDimV, group * _headDimV);   // the group's heads' rows
        if (_blocks is not null)
            _blocks[worker].Run(kv, _layer, g, n, qh.AsSpan(0, group * _headDim), _scale, output, sum.AsSpan(0, group));
        else
            PerPosition(kv, worker, t, n, g);
        FlashDecodeF16.Normalize(output, sum.AsSpan(0, group), _headDimV);
    }

    // The steps of FlashF16 one position at a time (head sizes FlashDecodeF16 does not take).
    private void PerPosition(KvCache kv, int worker, int t, int n, int g)
    {
        int group = _groupSize;
        var qh = _qHalf[worker];
        var (k, v, max, sum) = (_kRow[worker], _vRow[worker], _max[worker], _sum[worker]);
        var weights = _scratchScale[worker];
        for (int s = 0; s < n; s++)
        {
            kv.ReadK(_layer, s, g * _headDim, k);
            // The group's scores first, then their softmax steps: the heads' dot products are independent, and apart
            // they overlap in the core instead of each waiting behind the previous head's exponential.
            for (int j = 0; j < group; j++) weights[j] = HalfDot.LikeGgml(k, qh.AsSpan(j * _headDim, _headDim)) * _scale;
            for (int j = 0; j < group; j++)
            {
                float score = weights[j];
                float ms = 1f, vs = 1f;
                if (score > max[j])
                {
                    ms = MathF.Exp(max[j] - score);
                    max[j] = score;
                    HalfVector.ScaleRounded(Output(t, g * group + j), ms);
                }
                else
                {
                    vs = MathF.Exp(score - max[j]);
                }
                weights[j] = vs;
                sum[j] = sum[j] * ms + vs;
            }
            kv.ReadV(_layer, s, g * _headDimV, v);
            // The group's heads are consecutive output rows: one call updates them all, each value lane loaded once.
            HalfVector.FusedAxpyRoundedRows(v, weights.AsSpan(0, group), _out.AsSpan((t * _nHead + g * group) * _headDimV, group * _headDimV));
        }
    }

    private Span<float> Output(int t, int h) => _out.AsSpan((t * _nHead + h) * _headDimV, _headDimV);
}
