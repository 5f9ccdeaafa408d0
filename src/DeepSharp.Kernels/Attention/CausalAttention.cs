using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Attention;

/// <summary>
/// Causal grouped-query attention over the KV cache for a batch of queries at positions pos0 .. pos0+nTok−1:
/// out[t, h] = Σ_{s ≤ pos0+t} softmax_s(q[t,h] · K[s, g] / √headDim) · V[s, g], g = h / (nHead / nHeadKv)
/// (consecutive query heads share a KV head). The batch's own K/V must already be stored. Work items are
/// (token, head) pairs spread over the pool. With an F16 cache it follows llama.cpp's CPU flash attention
/// numerics (q rounded to f16, one-pass online softmax, an f16 output accumulator) so near-tied logits break
/// the same way; otherwise it is the plain two-pass softmax in f32.
/// </summary>
public sealed class CausalAttention : IParallelJob
{
    private readonly WorkerPool _pool;
    private readonly int _nHead, _groupSize, _headDim, _headDimV;
    private readonly float _scale;
    private readonly float[][] _scores;   // [threads][nCtx]
    private readonly float[][] _qHalf;    // [threads][headDim] q rounded to f16
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
        _qHalf = new float[pool.Threads][];
        for (int i = 0; i < _scores.Length; i++) (_scores[i], _qHalf[i]) = (new float[nCtx], new float[headDim]);
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
            var o = _out.AsSpan((t * _nHead + h) * _headDimV, _headDimV);
            if (kv.Type == KvType.F16)
            {
                FlashF16(kv, worker, q, g, n, o);
                continue;
            }
            var scores = _scores[worker].AsSpan(0, n);
            for (int s = 0; s < n; s++) scores[s] = kv.DotK(_layer, s, g * _headDim, q) * _scale;
            FloatKernels.Softmax(scores);
            o.Clear();
            for (int s = 0; s < n; s++) kv.AccumulateV(_layer, s, g * _headDimV, scores[s], o);
        }
    }

    // One pass over keys 0..n−1 with a running max M and sum S; o holds Σ e^(s−M)·v rounded to f16 after every step.
    private void FlashF16(KvCache kv, int worker, ReadOnlySpan<float> q, int g, int n, Span<float> o)
    {
        var qh = _qHalf[worker].AsSpan(0, _headDim);
        HalfVector.RoundAll(q, qh);
        float max = float.NegativeInfinity, sum = 0;
        o.Clear();
        for (int s = 0; s < n; s++)
        {
            float score = kv.DotK(_layer, s, g * _headDim, qh) * _scale;
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
            kv.AccumulateVHalf(_layer, s, g * _headDimV, vs, o);
            sum = sum * ms + vs;
        }
        float inv = sum == 0 ? 0 : 1f / sum;
        for (int i = 0; i < o.Length; i++) o[i] *= inv;
    }
}
