using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Models.Abstractions;
using static DeepSharp.Models.Abstractions.TensorNames;

namespace DeepSharp.Models.Blocks;

/// <summary>
/// Multi-head Latent Attention (DEEPSEEK.md §B.4), absorbed: the query's no-rope part is mapped into the latent
/// space per head (q̃ = W_UKᵀ·q_nope), scored against the cached [latent ; rope key] rows shared by all heads, the
/// weighted latent sum is mapped back per head (o = W_UV·ô), then W_O. The cache holds kv_lora_rank + rope values
/// per token. Per-head W_UKᵀ ([kvLora rows, qkNope]) and W_UV ([vHead rows, kvLora]) come from <c>attn_k_b</c>/<c>attn_v_b</c>
/// or, in legacy files, from <c>attn_kv_b</c> (its K part transposed once at load, its V part viewed in place).
/// </summary>
public sealed class MlaAttention
{
    public QTensor? Wq { get; init; }               // [nHead·qkHead rows, nEmbd]   (no q-LoRA)
    public QTensor? WqA { get; init; }              // [qLora rows, nEmbd]
    public RmsNorm? QANorm { get; init; }           // [qLora]
    public QTensor? WqB { get; init; }              // [nHead·qkHead rows, qLora]
    public required QTensor WkvA { get; init; }     // [kvLora + qkRope rows, nEmbd]
    public required RmsNorm KvANorm { get; init; }  // [kvLora]
    public required QTensor[] UkT { get; init; }    // per head [kvLora rows, qkNope]
    public required QTensor[] Uv { get; init; }     // per head [vHead rows, kvLora]
    public required QTensor Wo { get; init; }       // [nEmbd rows, nHead·vHead]

    public static MlaAttention Load(WeightSource w, int layer, ModelSpec s, Deepseek2Params p)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(p);
        int nH = s.NHead, qWidth = nH * p.QkHead;
        bool lora = p.QLoraRank > 0;
        (var ukT, var uv) = p.AbsorbedLayout ? SplitAbsorbed(w, layer, nH, p) : SplitLegacy(w, layer, nH, p);
        return new MlaAttention
        {
            Wq = lora ? null : w.Get(Blk(layer, AttnQ), s.NEmbd, qWidth),
            WqA = lora ? w.Get(Blk(layer, AttnQA), s.NEmbd, p.QLoraRank) : null,
            QANorm = lora ? new RmsNorm(w.GetVector(Blk(layer, AttnQANorm), p.QLoraRank), s.RmsEps) : null,
            WqB = lora ? w.Get(Blk(layer, AttnQB), p.QLoraRank, qWidth) : null,
            WkvA = w.Get(Blk(layer, AttnKvAMqa), s.NEmbd, p.KvLoraRank + p.QkRope),
            KvANorm = new RmsNorm(w.GetVector(Blk(layer, AttnKvANorm), p.KvLoraRank), s.RmsEps),
            UkT = ukT,
            Uv = uv,
            Wo = w.Get(Blk(layer, AttnOutput), nH * p.VHead, s.NEmbd),
        };
    }

    private static (QTensor[] UkT, QTensor[] Uv) SplitAbsorbed(WeightSource w, int layer, int nH, Deepseek2Params p)
    {
        var kb = w.Get(Blk(layer, AttnKB), p.QkNope, p.KvLoraRank, nH);
        var vb = w.Get(Blk(layer, AttnVB), p.KvLoraRank, p.VHead, nH);
        // Packed first (Q8_0/Q5_0: 8 rows' blocks side by side, summed as the file's rows), so the heads share the copy
        // and decode runs each head's 512 short rows in one kernel call. Only those types: a Q4_0/Q4_K pack is in
        // llama.cpp's repacked order, which the per-head views (summed as plain MUL_MAT sums) would never read.
        if (kb.Type is QuantType.Q8_0 or QuantType.Q5_0) kb.PrepareForMatMul();
        var ukT = new QTensor[nH];
        var uv = new QTensor[nH];
        for (int h = 0; h < nH; h++)
        {
            // llama.cpp multiplies these 3-D weights with plain MUL_MAT, which it never repacks.
            ukT[h] = kb.RowRange((long)h * p.KvLoraRank, p.KvLoraRank, $"{kb.Name}[{h}]", llamaRepacked: false);
            uv[h] = vb.RowRange((long)h * p.VHead, p.VHead, $"{vb.Name}[{h}]", llamaRepacked: false);
        }
        return (ukT, uv);
    }

    // kv_b rows per head: qkNope rows of W_UK (each kvLora wide), then vHead rows of W_UV.
    private static (QTensor[] UkT, QTensor[] Uv) SplitLegacy(WeightSource w, int layer, int nH, Deepseek2Params p)
    {
        int perHead = p.QkNope + p.VHead, rank = p.KvLoraRank;
        var kvb = w.Get(Blk(layer, AttnKvB), rank, nH * perHead);
        var ukT = new QTensor[nH];
        var uv = new QTensor[nH];
        var row = new float[rank];
        for (int h = 0; h < nH; h++)
        {
            var transposed = new float[rank * p.QkNope];   // [kvLora rows, qkNope]
            for (int j = 0; j < p.QkNope; j++)
            {
                kvb.DecodeRow((long)h * perHead + j, row);
                for (int r = 0; r < rank; r++) transposed[r * p.QkNope + j] = row[r];
            }
            ukT[h] = QTensorViews.FromFloats($"{kvb.Name}[{h}].kᵀ", transposed, p.QkNope);
            uv[h] = kvb.RowRange((long)h * perHead + p.QkNope, p.VHead, $"{kvb.Name}[{h}].v");
        }
        return (ukT, uv);
    }

    /// <summary>st.Xb2 [nTok, nEmbd] ← MLA(st.Xb [nTok, nEmbd]) at positions pos0..; stores each token's latent row.</summary>
    public void Forward(ModelSpec s, Deepseek2Params p, ForwardState st, Deepseek2Sequence seq, int layer, int nTok, int pos0, bool naive)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(st);
        ArgumentNullException.ThrowIfNull(seq);
        ProjectQuery(st, seq, nTok);
        ProjectLatents(s, p, st, seq, nTok);
        for (int t = 0; t < nTok; t++) seq.Kv.Store(layer, pos0 + t, LatentRow(p, seq, t), RopeKeyRow(p, st, t));
        if (naive)
        {
            MlaNaive.Attend(this, s, p, seq, layer, nTok, pos0);
            st.MatMul.Run(Wo, seq.O, nTok, st.Xb2);
            return;
        }
        AbsorbQueries(s, p, st, seq, nTok);
        seq.Attention.Run(seq.Kv, layer, st.Q, nTok, pos0, p.KqScale, st.Att);   // st.Att [nTok, nHead·kvLora]
        Output(s, p, st, seq, nTok);
    }

    /// <summary>
    /// One step of several sequences: st.Xb2 [rows, nEmbd] ← MLA(st.Xb [rows, nEmbd]), row r being a token of
    /// batch.Caches[r] at batch.Positions[r] (its rotary angles in st's row r). Every projection runs once over all
    /// rows; each sequence's rows store their latents in its own cache and attend over that cache alone, as
    /// <see cref="Forward"/> does for that sequence's tokens.
    /// </summary>
    public void DecodeRows(ModelSpec s, Deepseek2Params p, ForwardState st, Deepseek2Batch batch, int layer, int rows)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(st);
        ArgumentNullException.ThrowIfNull(batch);
        var buffers = batch.Rows;
        int qWidth = s.NHead * (p.KvLoraRank + p.QkRope), attWidth = s.NHead * p.KvLoraRank;
        ProjectQuery(st, buffers, rows);
        ProjectLatents(s, p, st, buffers, rows);
        AbsorbQueries(s, p, st, buffers, rows);
        for (int r = 0; r < rows; r++) batch.Caches[r].Kv.Store(layer, batch.Positions[r], LatentRow(p, buffers, r), RopeKeyRow(p, st, r));
        for (int first = 0, count; first < rows; first += count)
        {
            var seq = batch.Caches[first];
            count = 1;
            while (first + count < rows && ReferenceEquals(batch.Caches[first + count], seq)) count++;
            st.Q.AsSpan(first * qWidth, count * qWidth).CopyTo(batch.QGroup);
            seq.Attention.Run(seq.Kv, layer, batch.QGroup, count, batch.Positions[first], p.KqScale, batch.AttGroup);
            batch.AttGroup.AsSpan(0, count * attWidth).CopyTo(st.Att.AsSpan(first * attWidth, count * attWidth));
        }
        Output(s, p, st, buffers, rows);
    }

    // st.Xb2 [nTok, nEmbd] ← W_O · (per head W_UV^h · ô_h) for the latent attention outputs ô in st.Att.
    private void Output(ModelSpec s, Deepseek2Params p, ForwardState st, Deepseek2Sequence rows, int nTok)
    {
        PerHead(st, rows, Uv, st.Att, s.NHead, p.KvLoraRank, rows.O, p.VHead, nTok);
        st.MatMul.Run(Wo, rows.O, nTok, st.Xb2);
    }

    // seq.QFull [nTok, nHead·qkHead] ← W_Q·x, or W_UQ·RMSNorm(W_DQ·x); and st.K [nTok, kvLora + rope] ← W_DKV·x, the
    // two products of x in one dispatch for one token where they take one kernel.
    private void ProjectQuery(ForwardState st, Deepseek2Sequence seq, int nTok)
    {
        var (first, firstOut) = Wq is not null ? (Wq, seq.QFull) : (WqA!, seq.QLora);
        if (nTok != 1 || !st.MatMul.TryRunOneToken(st.Xb, (first, firstOut), (WkvA, st.K)))
        {
            st.MatMul.Run(first, st.Xb, nTok, firstOut);
            st.MatMul.Run(WkvA, st.Xb, nTok, st.K, sameActivations: true);
        }
        if (Wq is not null) return;
        QANorm!.Apply(seq.QLora, 0, nTok, seq.QLoraNormed);
        st.MatMul.Run(WqB!, seq.QLoraNormed, nTok, seq.QFull);
    }

    // c_KV ← RMSNorm of st.K's latent part (into seq.Latent), st.K holding W_DKV·x (ProjectQuery); RoPE on k_pe and
    // every head's q_pe.
    private void ProjectLatents(ModelSpec s, Deepseek2Params p, ForwardState st, Deepseek2Sequence seq, int nTok)
    {
        int width = p.KvLoraRank + p.QkRope, half = p.QkRope / 2, qWidth = s.NHead * p.QkHead;
        for (int t = 0; t < nTok; t++)
        {
            var kv = st.K.AsSpan(t * width, width);
            FloatKernels.RmsNorm(kv[..p.KvLoraRank], KvANorm.Weight, s.RmsEps, LatentRow(p, seq, t));
            var cos = st.RopeCos.AsSpan(t * half, half);
            var sin = st.RopeSin.AsSpan(t * half, half);
            Rope.Rotate(kv[p.KvLoraRank..], cos, sin, s.Rope.Style);
            var q = seq.QFull.AsSpan(t * qWidth, qWidth);
            for (int h = 0; h < s.NHead; h++) Rope.Rotate(q.Slice(h * p.QkHead + p.QkNope, p.QkRope), cos, sin, s.Rope.Style);
        }
    }

    // Row t's cache entry: its normed latent and its rotated rope key.
    private static Span<float> LatentRow(Deepseek2Params p, Deepseek2Sequence seq, int t) => seq.Latent.AsSpan(t * p.KvLoraRank, p.KvLoraRank);
    private static Span<float> RopeKeyRow(Deepseek2Params p, ForwardState st, int t) =>
        st.K.AsSpan(t * (p.KvLoraRank + p.QkRope) + p.KvLoraRank, p.QkRope);

    // st.Q [nTok, nHead, kvLora + qkRope] ← per head [W_UKᵀ·q_nope ; q_pe].
    private void AbsorbQueries(ModelSpec s, Deepseek2Params p, ForwardState st, Deepseek2Sequence seq, int nTok)
    {
        int nH = s.NHead, width = p.KvLoraRank + p.QkRope;
        if (st.MatMul.TryRunPerHead(UkT, seq.QFull, p.QkHead, nTok, st.Q, width))
        {
            for (int t = 0; t < nTok; t++)
                for (int h = 0; h < nH; h++)
                    seq.QFull.AsSpan((t * nH + h) * p.QkHead + p.QkNope, p.QkRope).CopyTo(st.Q.AsSpan((t * nH + h) * width + p.KvLoraRank, p.QkRope));
            return;
        }
        for (int h = 0; h < nH; h++)
        {
            for (int t = 0; t < nTok; t++)
                seq.QFull.AsSpan((t * nH + h) * p.QkHead, p.QkNope).CopyTo(seq.HeadIn.AsSpan(t * p.QkNope, p.QkNope));
            st.MatMul.Run(UkT[h], seq.HeadIn, nTok, seq.HeadOut);
            for (int t = 0; t < nTok; t++)
            {
                var dst = st.Q.AsSpan((t * nH + h) * width, width);
                seq.HeadOut.AsSpan(t * p.KvLoraRank, p.KvLoraRank).CopyTo(dst);
                seq.QFull.AsSpan((t * nH + h) * p.QkHead + p.QkNope, p.QkRope).CopyTo(dst[p.KvLoraRank..]);
            }
        }
    }

    // output[t, h, outWidth] ← weights[h] · input[t, h, inWidth] for every head (one batched matmul per head).
    private static void PerHead(ForwardState st, Deepseek2Sequence seq, QTensor[] weights, float[] input, int nH, int inWidth,
        float[] output, int outWidth, int nTok)
    {
        if (st.MatMul.TryRunPerHead(weights, input, inWidth, nTok, output, outWidth)) return;
        for (int h = 0; h < nH; h++)
        {
            for (int t = 0; t < nTok; t++)
                input.AsSpan((t * nH + h) * inWidth, inWidth).CopyTo(seq.HeadIn.AsSpan(t * inWidth, inWidth));
            st.MatMul.Run(weights[h], seq.HeadIn, nTok, seq.HeadOut);
            for (int t = 0; t < nTok; t++)
                seq.HeadOut.AsSpan(t * outWidth, outWidth).CopyTo(output.AsSpan((t * nH + h) * outWidth, outWidth));
        }
    }
}
