using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;
using DeepSharp.Models.Abstractions;
using DeepSharp.Models.Blocks;

namespace DeepSharp.Models.Architectures;

/// <summary>One pre-norm transformer block's weights.</summary>
public sealed record DecoderLayer(RmsNorm AttnNorm, GqaAttention Attn, RmsNorm FfnNorm, SwiGluFfn Ffn);

/// <summary>
/// The pre-norm decoder shared by llama-like architectures (llama, qwen2): embedding, nLayer × (RMSNorm → GQA →
/// residual, RMSNorm → SwiGLU → residual), final RMSNorm, output projection (tied to the embedding when the file
/// has no <c>output.weight</c>). Architecture files choose the RoPE style, biases and hyper-parameter keys.
/// </summary>
public abstract class DecoderModel
{
    protected DecoderModel(ModelSpec spec, WeightSource w) : this(spec, w, llamaLayers: true) { }

    /// <summary>
    /// Loads the embedding and output; the llama-like GQA/SwiGLU layers only when <paramref name="llamaLayers"/>
    /// (architectures with their own blocks, such as deepseek2, leave <see cref="Layers"/> empty and override the
    /// <see cref="SequenceCache"/> overloads).
    /// </summary>
    protected DecoderModel(ModelSpec spec, WeightSource w, bool llamaLayers)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(w);
        Spec = spec;
        int n = spec.NEmbd;
        TokEmbd = w.Get(TensorNames.Global(TensorNames.TokenEmbd), n, spec.NVocab);
        OutputNorm = new RmsNorm(w.GetVector(TensorNames.Global(TensorNames.OutputNorm), n), spec.RmsEps);
        Output = w.GetOptional(TensorNames.Global(TensorNames.Output), n, spec.NVocab) ?? TokEmbd;
        var layers = new DecoderLayer[llamaLayers ? spec.NLayer : 0];
        for (int i = 0; i < layers.Length; i++)
        {
            layers[i] = new DecoderLayer(
                new RmsNorm(w.GetVector(TensorNames.Blk(i, TensorNames.AttnNorm), n), spec.RmsEps),
                GqaAttention.Load(w, i, spec, spec.QkvBias),
                new RmsNorm(w.GetVector(TensorNames.Blk(i, TensorNames.FfnNorm), n), spec.RmsEps),
                SwiGluFfn.Load(w, i, spec));
        }
        Layers = layers;
        PrepareForMatMul([.. layers.SelectMany(l => new[] { l.Attn.Wq, l.Attn.Wk, l.Attn.Wv, l.Attn.Wo, l.Ffn.Gate, l.Ffn.Up, l.Ffn.Down }), Output]);
    }

    /// <summary>
    /// Builds, once at load, the layouts the matrix kernels run fastest on (<see cref="QTensor.PrepareForMatMul"/>),
    /// for matrices that are used in products (never for the embedding table, which is only read row by row).
    /// </summary>
    protected static void PrepareForMatMul(IEnumerable<QTensor> matrices) =>
        Parallel.ForEach(matrices.Distinct(), m => m.PrepareForMatMul());

    public ModelSpec Spec { get; }
    public QTensor TokEmbd { get; }        // [nVocab rows, nEmbd]
    public RmsNorm OutputNorm { get; }     // [nEmbd]
    public QTensor Output { get; }         // [nVocab rows, nEmbd], possibly == TokEmbd
    public bool TiedOutput => ReferenceEquals(Output, TokEmbd);
    public IReadOnlyList<DecoderLayer> Layers { get; }

    /// <summary>Whether <see cref="BatchDecoder"/> can run several sequences through <see cref="Layers"/> in one pass.</summary>
    public virtual bool SupportsBatchDecoding => true;

    /// <summary>A new, empty cache for one sequence of up to <paramref name="nCtx"/> positions.</summary>
    public virtual SequenceCache CreateCache(KvType type, int nCtx, int maxBatch, WorkerPool pool)
    {
        var s = Spec;
        return new GqaSequenceCache(new KvCache(type, s.NLayer, nCtx, s.NHeadKv * s.HeadDim, s.NHeadKv * s.HeadDimV, s.HeadDim, s.HeadDimV));
    }

    /// <summary>As <see cref="Forward(ReadOnlySpan{int}, int, ForwardState, KvCache)"/> with the cache from <see cref="CreateCache"/>.</summary>
    public virtual void Forward(ReadOnlySpan<int> tokens, int pos0, ForwardState st, SequenceCache cache) =>
        Forward(tokens, pos0, st, ((GqaSequenceCache)cache).Kv);

    /// <summary>Test hook: a layer index to leave out of the forward pass (−1: none), to show tests can see it.</summary>
    internal int SkipLayer { get; set; } = -1;

    /// <summary>
    /// st.Logits [nVocab] ← logits of the last of <paramref name="tokens"/> (at most st.MaxBatch), which sit at
    /// positions pos0 .. pos0+nTok−1; their keys and values are written into <paramref name="kv"/>.
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, int pos0, ForwardState st, KvCache kv)
    {
        ArgumentNullException.ThrowIfNull(st);
        if (Layers.Count == 0) throw new InvalidOperationException($"{Spec.Arch} has its own blocks; call the SequenceCache overload");
        int nTok = tokens.Length, n = Spec.NEmbd;
        var x = Embed(tokens, pos0, st);
        for (int l = 0; l < Layers.Count; l++)
        {
            if (l == SkipLayer) continue;
            var layer = Layers[l];
            layer.AttnNorm.Apply(st.X, 0, nTok, st.Xb);                                      // xb = rmsnorm(x)
            layer.Attn.Forward(Spec, st, kv, l, nTok, pos0);                                 // xb2 = attn(xb)
            FloatKernels.Add(st.Xb2.AsSpan(0, nTok * n), x);                                 // x += xb2
            layer.FfnNorm.Apply(st.X, 0, nTok, st.Xb);                                       // xb = rmsnorm(x)
            layer.Ffn.Forward(st, nTok);                                                     // xb2 = ffn(xb)
            FloatKernels.Add(st.Xb2.AsSpan(0, nTok * n), x);                                 // x += xb2
        }
        OutputNorm.Apply(st.X, nTok - 1, 1, st.Xb);                                          // last token only
        st.MatMul.Run(Output, st.Xb, 1, st.Logits);                                          // logits = Wout·xb
    }

    /// <summary>
    /// x [nTok, nEmbd] ← the tokens' embeddings, and the rotary angles of positions pos0.. into st; every
    /// architecture's forward pass starts here. Returns the filled part of st.X.
    /// </summary>
    protected Span<float> Embed(ReadOnlySpan<int> tokens, int pos0, ForwardState st)
    {
        ArgumentNullException.ThrowIfNull(st);
        int nTok = tokens.Length, n = Spec.NEmbd, half = Spec.Rope.NRot / 2;
        var x = st.X.AsSpan(0, nTok * n);
        for (int t = 0; t < nTok; t++)
        {
            TokEmbd.DecodeRow(tokens[t], x.Slice(t * n, n));                                  // x = embed(token)
            Rope.Angles(Spec.Rope, pos0 + t, st.RopeCos.AsSpan(t * half, half), st.RopeSin.AsSpan(t * half, half));
        }
        return x;
    }
}
