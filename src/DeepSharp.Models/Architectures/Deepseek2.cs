using DeepSharp.Gguf;
using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;
using DeepSharp.Models.Abstractions;
using DeepSharp.Models.Blocks;
using static DeepSharp.Models.Abstractions.TensorNames;

namespace DeepSharp.Models.Architectures;

/// <summary>One deepseek2 block: MLA, then a dense SwiGLU (leading layers) or DeepSeekMoE.</summary>
public sealed record Deepseek2Layer(RmsNorm AttnNorm, MlaAttention Attn, RmsNorm FfnNorm, SwiGluFfn? Dense, MoeFfn? Moe);

/// <summary>
/// deepseek2 (DeepSeek-V2, V2-Lite, V3, R1): pre-norm blocks of Multi-head Latent Attention with a compressed
/// latent KV cache and DeepSeekMoE feed-forwards after the leading dense layers; RoPE pairs adjacent elements
/// and only touches the decoupled rope dims; YaRN's mscale goes into the softmax scale, not into the rotation.
/// <see cref="ModelSpec"/> describes the engine's view of attention: one KV head of kvLora + rope dims (the
/// absorbed MQA), values of kvLora dims. Reference: llama.cpp src/models/deepseek2.cpp; DEEPSEEK.md §B.
/// </summary>
public sealed class Deepseek2 : DecoderModel
{
    public const string Name = "deepseek2";

    private Deepseek2(ModelSpec spec, Deepseek2Params p, WeightSource w) : base(spec, w, llamaLayers: false)
    {
        Params = p;
        var blocks = new Deepseek2Layer[spec.NLayer];
        for (int i = 0; i < spec.NLayer; i++)
        {
            bool dense = i < p.NLeadingDense;
            blocks[i] = new Deepseek2Layer(
                new RmsNorm(w.GetVector(Blk(i, AttnNorm), spec.NEmbd), spec.RmsEps),
                MlaAttention.Load(w, i, spec, p),
                new RmsNorm(w.GetVector(Blk(i, FfnNorm), spec.NEmbd), spec.RmsEps),
                dense ? SwiGluFfn.Load(w, i, spec) : null,
                dense ? null : MoeFfn.Load(w, i, spec, p));
        }
        Blocks = blocks;
        PrepareForMatMul(blocks.SelectMany(DenseMatrices));
    }

    // The matrices of a layer that are not views (expert views share their stacked tensor's memory).
    private static IEnumerable<QTensor> DenseMatrices(Deepseek2Layer l) =>
        new[] { l.Attn.Wq, l.Attn.WqA, l.Attn.WqB, l.Attn.WkvA, l.Attn.Wo, l.Dense?.Gate, l.Dense?.Up, l.Dense?.Down,
            l.Moe?.Shared?.Gate, l.Moe?.Shared?.Up, l.Moe?.Shared?.Down }.OfType<QTensor>();

    public Deepseek2Params Params { get; }
    public IReadOnlyList<Deepseek2Layer> Blocks { get; }

    /// <summary>Test hook: attend with the decompressed keys/values (<see cref="MlaNaive"/>) instead of the absorbed path.</summary>
    internal bool NaiveAttention { get; set; }

    /// <summary>Batched decoding (<see cref="DecodeRows"/>) runs the absorbed path only; the naive test path decodes one by one.</summary>
    public override bool SupportsBatchDecoding => !NaiveAttention;

    public static (ModelSpec Spec, Deepseek2Params Params) ReadSpec(GgufMetadata md, int nVocab)
    {
        ArgumentNullException.ThrowIfNull(md);
        var common = ModelSpec.ReadCommon(md, Name, nVocab, RopeStyle.Norm);
        var p = Deepseek2Params.Read(md, common, Name);
        var rope = common.Rope;
        if (rope.Scaling == RopeScaling.Yarn)
        {
            // llama.cpp passes an attn_factor that cancels YaRN's magnitude factor: rotated q_pe/k_pe keep their length.
            rope = rope with
            {
                AttnFactor = 1f / (1f + 0.1f * MathF.Log(1f / rope.FreqScale)),
                BetaFast = md.GetFloatOrDefault($"{Name}.rope.scaling.yarn_beta_fast", 32f),
                BetaSlow = md.GetFloatOrDefault($"{Name}.rope.scaling.yarn_beta_slow", 1f),
            };
        }
        var spec = common with { NHeadKv = 1, HeadDim = p.KvLoraRank + p.QkRope, HeadDimV = p.KvLoraRank, Rope = rope };
        return (spec, p);
    }

    public static Deepseek2 Create(WeightSource w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var (spec, p) = ReadSpec(w.File.Metadata, w.VocabFromEmbedding());
        RequireMatMulWidth(spec, p);
        return new Deepseek2(spec, p, w);
    }

    // ForwardState sizes its matmul for max(nEmbd, nFf, nHead·kvLora) columns; every deepseek2 input must fit.
    private static void RequireMatMulWidth(ModelSpec s, Deepseek2Params p)
    {
        int have = Math.Max(Math.Max(s.NEmbd, s.NFf), s.NHead * s.HeadDimV);
        int need = new[] { p.QLoraRank, p.QkNope, p.KvLoraRank, s.NHead * p.VHead, p.NFfExp * Math.Max(1, p.NExpertShared) }.Max();
        if (need > have) throw new ModelFormatException($"{Name}: a projection input of {need} columns exceeds the {have} this engine sizes buffers for");
    }

    public override SequenceCache CreateCache(KvType type, int nCtx, int maxBatch, WorkerPool pool) =>
        new Deepseek2Sequence(Spec, Params, type, nCtx, maxBatch, pool);

    /// <summary>st.Logits ← logits of the last of <paramref name="tokens"/> at positions pos0..; their latents go into the cache.</summary>
    public override void Forward(ReadOnlySpan<int> tokens, int pos0, ForwardState st, SequenceCache cache)
    {
        ArgumentNullException.ThrowIfNull(st);
        var seq = cache as Deepseek2Sequence ?? throw new ArgumentException("not a deepseek2 cache", nameof(cache));
        int nTok = tokens.Length;
        Embed(tokens, pos0, st);
        RunBlocks(st, seq, null, nTok, pos0);
        OutputNorm.Apply(st.X, nTok - 1, 1, st.Xb);                                                // last token only
        st.MatMul.Run(Output, st.Xb, 1, st.Logits);                                                // logits = Wout·xb
    }

    /// <summary>
    /// The blocks of one step of several sequences: st.X [rows, nEmbd] holds row r's embedded token (angles of its
    /// position in st), which goes to batch.Caches[r] at batch.Positions[r]; st.X ends as the final residual stream.
    /// Projections and experts run once over all rows (the MoE groups them by expert); attention per sequence.
    /// </summary>
    public void DecodeRows(ForwardState st, Deepseek2Batch batch, int rows)
    {
        ArgumentNullException.ThrowIfNull(st);
        ArgumentNullException.ThrowIfNull(batch);
        RunBlocks(st, batch.Rows, batch, rows, pos0: 0);
    }

    // x ← the blocks over st.X's nTok rows. One sequence's tokens at pos0.. (batch null, rows = its cache), or the
    // tokens of each batch.Caches[r] (rows = the batch's row buffers).
    private void RunBlocks(ForwardState st, Deepseek2Sequence rows, Deepseek2Batch? batch, int nTok, int pos0)
    {
        int n = Spec.NEmbd;
        var x = st.X.AsSpan(0, nTok * n);
        for (int l = 0; l < Blocks.Count; l++)
        {
            if (l == SkipLayer) continue;
            var layer = Blocks[l];
            layer.AttnNorm.Apply(st.X, 0, nTok, st.Xb);                                            // xb = rmsnorm(x)
            if (batch is null) layer.Attn.Forward(Spec, Params, st, rows, l, nTok, pos0, NaiveAttention);  // xb2 = mla(xb)
            else layer.Attn.DecodeRows(Spec, Params, st, batch, l, nTok);
            FloatKernels.Add(st.Xb2.AsSpan(0, nTok * n), x);                                       // x += xb2
            layer.FfnNorm.Apply(st.X, 0, nTok, st.Xb);                                             // xb = rmsnorm(x)
            if (layer.Dense is { } dense) dense.Forward(st, nTok);                                 // xb2 = ffn(xb)
            else layer.Moe!.Forward(Params.Routing, st, rows, nTok);                               // xb2 = moe(xb)
            FloatKernels.Add(st.Xb2.AsSpan(0, nTok * n), x);                                       // x += xb2
        }
    }
}
