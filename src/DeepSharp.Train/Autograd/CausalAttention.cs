using DeepSharp.Kernels.Float;

namespace DeepSharp.Train.Autograd;

/// <summary>
/// Forward and backward of causal GQA attention for one (segment, KV head) at a time, so tasks write disjoint memory:
/// the query heads of a group, and the group's keys and values. Keeps the softmax probabilities for the backward pass.
/// </summary>
internal sealed class CausalAttention
{
    private readonly Tensor _q, _k, _v;
    private readonly int _nHead, _group, _hd;
    private readonly float _scale;
    private readonly IReadOnlyList<Segment> _segments;
    private readonly long[] _probOffset;   // per segment: where its [nHead, T, T] probabilities start
    private readonly float[] _probs;

    public CausalAttention(Tensor q, Tensor k, Tensor v, int nHead, int nHeadKv, IReadOnlyList<Segment> segments)
    {
        if (nHead % nHeadKv != 0 || q.Cols % nHead != 0 || k.Cols != nHeadKv * (q.Cols / nHead) || v.Cols != k.Cols)
        {
            throw new ArgumentException($"Attention: q [{q.Rows}, {q.Cols}], k [{k.Rows}, {k.Cols}], v [{v.Rows}, {v.Cols}] with {nHead}/{nHeadKv} heads do not fit.");
        }

        (_q, _k, _v, _nHead, _segments) = (q, k, v, nHead, segments);
        _group = nHead / nHeadKv;
        _hd = q.Cols / nHead;
        _scale = 1f / MathF.Sqrt(_hd);
        _probOffset = new long[segments.Count];
        long total = 0;
        for (int s = 0; s < segments.Count; s++)
        {
            _probOffset[s] = total;
            total += (long)nHead * segments[s].Length * segments[s].Length;
        }

        _probs = new float[total];
    }

    public void Forward(int s, int g, Tensor y)
    {
        Segment seg = _segments[s];
        int t = seg.Length, hd = _hd;
        for (int h = g * _group; h < (g + 1) * _group; h++)
        {
            for (int i = 0; i < t; i++)
            {
                Span<float> p = Probs(s, h, i);
                ReadOnlySpan<float> qi = _q.Row(seg.Start + i).Slice(h * hd, hd);
                for (int j = 0; j <= i; j++)
                {
                    p[j] = FloatKernels.Dot(qi, _k.Row(seg.Start + j).Slice(g * hd, hd)) * _scale;
                }

                FloatKernels.Softmax(p[..(i + 1)]);
                Span<float> yi = y.Row(seg.Start + i).Slice(h * hd, hd);
                for (int j = 0; j <= i; j++)
                {
                    FloatKernels.Axpy(p[j], _v.Row(seg.Start + j).Slice(g * hd, hd), yi);
                }
            }
        }
    }

    // dv_j += Σ_i p_ij·dy_i ; dp_ij = dy_i·v_j ; ds_ij = p_ij·(dp_ij − Σ_j' p_ij'·dp_ij') ; dq_i += scale·Σ_j ds_ij·k_j ; dk_j += scale·ds_ij·q_i
    public void Backward(int s, int g, float[] dy)
    {
        Segment seg = _segments[s];
        int t = seg.Length, hd = _hd, cols = _q.Cols, kvCols = _k.Cols;
        float[] dq = _q.Grad, dk = _k.Grad, dv = _v.Grad;
        Span<float> ds = new float[t];
        for (int h = g * _group; h < (g + 1) * _group; h++)
        {
            for (int i = 0; i < t; i++)
            {
                Span<float> p = Probs(s, h, i);
                int qRow = seg.Start + i;
                ReadOnlySpan<float> dyi = dy.AsSpan(qRow * cols + h * hd, hd);
                float sum = 0;
                for (int j = 0; j <= i; j++)
                {
                    int kvAt = (seg.Start + j) * kvCols + g * hd;
                    ds[j] = FloatKernels.Dot(dyi, _v.Data.AsSpan(kvAt, hd));
                    sum += p[j] * ds[j];
                    FloatKernels.Axpy(p[j], dyi, dv.AsSpan(kvAt, hd));
                }

                Span<float> dqi = dq.AsSpan(qRow * cols + h * hd, hd);
                ReadOnlySpan<float> qi = _q.Data.AsSpan(qRow * cols + h * hd, hd);
                for (int j = 0; j <= i; j++)
                {
                    float d = p[j] * (ds[j] - sum) * _scale;
                    int kvAt = (seg.Start + j) * kvCols + g * hd;
                    FloatKernels.Axpy(d, _k.Data.AsSpan(kvAt, hd), dqi);
                    FloatKernels.Axpy(d, qi, dk.AsSpan(kvAt, hd));
                }
            }
        }
    }

    private Span<float> Probs(int s, int h, int i)
    {
        int t = _segments[s].Length;
        return _probs.AsSpan((int)(_probOffset[s] + ((long)h * t + i) * t), t);
    }
}
