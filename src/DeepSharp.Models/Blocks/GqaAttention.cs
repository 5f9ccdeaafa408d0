using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Blocks;

/// <summary>
/// Grouped-query self-attention: q/k/v projections (optional biases), RoPE on q and k, the batch's k/v appended
/// to the KV cache, causal attention over the cache, output projection (no bias).
/// </summary>
public sealed class GqaAttention
{
    public required QTensor Wq { get; init; }     // [nHead·headDim rows, nEmbd]
    public required QTensor Wk { get; init; }     // [nHeadKv·headDim rows, nEmbd]
    public required QTensor Wv { get; init; }     // [nHeadKv·headDimV rows, nEmbd]
    public required QTensor Wo { get; init; }     // [nEmbd rows, nHead·headDimV]
    public float[]? Bq { get; init; }             // [nHead·headDim]
    public float[]? Bk { get; init; }             // [nHeadKv·headDim]
    public float[]? Bv { get; init; }             // [nHeadKv·headDimV]

    /// <summary>Loads layer <paramref name="layer"/>'s attention; biases are required when <paramref name="qkvBias"/>.</summary>
    public static GqaAttention Load(WeightSource w, int layer, ModelSpec s, bool qkvBias)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(s);
        int q = s.NHead * s.HeadDim, k = s.NHeadKv * s.HeadDim, v = s.NHeadKv * s.HeadDimV;
        float[]? Bias(string name, int n) => qkvBias ? w.GetVector(TensorNames.Blk(layer, name, "bias"), n) : null;
        return new GqaAttention
        {
            Wq = w.Get(TensorNames.Blk(layer, TensorNames.AttnQ), s.NEmbd, q),
            Wk = w.Get(TensorNames.Blk(layer, TensorNames.AttnK), s.NEmbd, k),
            Wv = w.Get(TensorNames.Blk(layer, TensorNames.AttnV), s.NEmbd, v),
            Wo = w.Get(TensorNames.Blk(layer, TensorNames.AttnOutput), s.NHead * s.HeadDimV, s.NEmbd),
            Bq = Bias(TensorNames.AttnQ, q),
            Bk = Bias(TensorNames.AttnK, k),
            Bv = Bias(TensorNames.AttnV, v),
        };
    }

    /// <summary>st.Xb2 [nTok, nEmbd] ← attention(st.Xb [nTok, nEmbd]) for positions pos0 .. pos0+nTok−1; stores k, v.</summary>
    public void Forward(ModelSpec s, ForwardState st, KvCache kv, int layer, int nTok, int pos0)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(st);
        ArgumentNullException.ThrowIfNull(kv);
        int qWidth = s.NHead * s.HeadDim, kWidth = s.NHeadKv * s.HeadDim, vWidth = s.NHeadKv * s.HeadDimV;
        if (nTok != 1 || !st.MatMul.TryRunOneToken(st.Xb, (Wq, st.Q), (Wk, st.K), (Wv, st.V)))
        {
            st.MatMul.Run(Wq, st.Xb, nTok, st.Q);
            st.MatMul.Run(Wk, st.Xb, nTok, st.K, sameActivations: true);
            st.MatMul.Run(Wv, st.Xb, nTok, st.V, sameActivations: true);
        }
        int half = s.Rope.NRot / 2;
        for (int t = 0; t < nTok; t++)
        {
            var q = st.Q.AsSpan(t * qWidth, qWidth);
            var k = st.K.AsSpan(t * kWidth, kWidth);
            var v = st.V.AsSpan(t * vWidth, vWidth);
            AddBias(Bq, q);
            AddBias(Bk, k);
            AddBias(Bv, v);
            var cos = st.RopeCos.AsSpan(t * half, half);
            var sin = st.RopeSin.AsSpan(t * half, half);
            for (int h = 0; h < s.NHead; h++) Rope.Rotate(q.Slice(h * s.HeadDim, s.HeadDim), cos, sin, s.Rope.Style);
            for (int h = 0; h < s.NHeadKv; h++) Rope.Rotate(k.Slice(h * s.HeadDim, s.HeadDim), cos, sin, s.Rope.Style);
            kv.Store(layer, pos0 + t, k, v);
        }
        st.Attention.Run(kv, layer, st.Q, nTok, pos0, st.Att);
        st.MatMul.Run(Wo, st.Att, nTok, st.Xb2);
    }

    private static void AddBias(float[]? bias, Span<float> y)
    {
        if (bias is not null) FloatKernels.Add(bias, y);
    }
}
