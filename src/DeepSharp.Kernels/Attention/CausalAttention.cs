using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Attention;

/// <summary>
/// Causal grouped-query attention over the KV cache for a batch of queries at positions pos0 .. pos0+nTok−1:
/// out[t, h] = Σ_{s ≤ pos0+t} softmax_s(q[t,h] · K[s, g] / √headDim) · V[s, g], g = h / (nHead / nHeadKv)
/// (consecutive query heads share a KV head). The batch's own K/V must already be stored. Work items are
/// (token, head) pairs spread over the pool.
/// </summary>
public sealed class CausalAttention : IParallelJob
{
    private readonly WorkerPool _pool;
    private readonly int _nHead, _groupSize, _headDim, _headDimV;
    private readonly float _scale;
    private readonly float[][] _scores;   // [threads][nCtx]
    private KvCache? _kv;
    private float[] _q = [], _out = [];
    private int _layer, _pos0;

    public CausalAttention(WorkerPool pool, int nHead, int nHeadKv, int headDim, int headDimV, int nCtx)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (nHead % nHeadKv != 0) throw new ArgumentException($"n_head {nHead} is not a multiple of n_head_kv {nHeadKv}", nameof(nHeadKv));
        (_pool, _nHead, _groupSize, _headDim, _headDimV) = (pool, nHead, nHead / nHeadKv, headDim, headDimV);
        _scale = 1f / MathF.Sqrt(headDim);
        _scores = new float[pool.Threads][];
        for (int i = 0; i < _scores.Length; i++) _scores[i] = new float[nCtx];
    }

    /// <summary>output [nTok, nHead·headDimV] ← attention of q [nTok, nHead·headDim] over layer <paramref name="layer"/>.</summary>
    public void Run(KvCache kv, int layer, float[] q, int nTok, int pos0, float[] output)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pos0 + nTok, _scores[0].Length);
        (_kv, _layer, _q, _pos0, _out) = (kv, layer, q, pos0, output);
        _pool.Run(this, nTok * _nHead);
        (_kv, _q, _out) = (null, [], []);
    }

    public void Execute(int worker, int start, int limit)
    {
        var kv = _kv!;
        for (int item = start; item < limit; item++)
        {
            int t = item / _nHead, h = item % _nHead, g = h / _groupSize;
            int n = _pos0 + t + 1;
            var q = _q.AsSpan((t * _nHead + h) * _headDim, _headDim);
            var scores = _scores[worker].AsSpan(0, n);
            for (int s = 0; s < n; s++) scores[s] = kv.DotK(_layer, s, g * _headDim, q) * _scale;
            FloatKernels.Softmax(scores);
            var o = _out.AsSpan((t * _nHead + h) * _headDimV, _headDimV);
            o.Clear();
            for (int s = 0; s < n; s++) kv.AccumulateV(_layer, s, g * _headDimV, scores[s], o);
        }
    }
}
