using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Models.Abstractions;
using static DeepSharp.Models.Abstractions.TensorNames;

namespace DeepSharp.Models.Blocks;

/// <summary>
/// DeepSeekMoE feed-forward (DEEPSEEK.md §B.5): a router picks k of nExpert SwiGLU experts per token
/// (<see cref="MoeRouter"/>), their outputs are mixed by the routing weights, and the always-on shared experts
/// (stored fused as one SwiGLU of width nShared·nFfExp) are added. The batch is grouped by expert: each selected
/// expert runs once over the rows routed to it, so only selected experts' weights are read.
/// </summary>
public sealed class MoeFfn
{
    public required QTensor Router { get; init; }      // [nExpert rows, nEmbd] (F32)
    public float[]? SelectionBias { get; init; }        // [nExpert] exp_probs_b (sigmoid gating)
    public required QTensor[] Gate { get; init; }       // per expert [nFfExp rows, nEmbd], views of ffn_gate_exps
    public required QTensor[] Up { get; init; }         // per expert [nFfExp rows, nEmbd]
    public required QTensor[] Down { get; init; }       // per expert [nEmbd rows, nFfExp]
    public SwiGluFfn? Shared { get; init; }             // [nShared·nFfExp] fused shared experts

    public static MoeFfn Load(WeightSource w, int layer, ModelSpec s, Deepseek2Params p)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(p);
        int n = s.NEmbd, ff = p.NFfExp, nExp = p.Routing.NExpert, shared = p.NExpertShared * ff;
        var gate = w.Get(Blk(layer, FfnGateExps), n, ff, nExp);
        var up = w.Get(Blk(layer, FfnUpExps), n, ff, nExp);
        var down = w.Get(Blk(layer, FfnDownExps), ff, n, nExp);
        // Pack the stacked tensors before taking the per-expert views, so every view shares its packed rows.
        Parallel.Invoke(() => gate.PrepareForMatMul(), () => up.PrepareForMatMul(), () => down.PrepareForMatMul());
        return new MoeFfn
        {
            Router = w.Get(Blk(layer, FfnGateInp), n, nExp),
            SelectionBias = p.Routing.Gating == ExpertGating.Sigmoid ? w.GetOptionalVector(Blk(layer, ExpProbsB, "bias"), nExp) : null,
            Gate = Experts(gate, ff, nExp),
            Up = Experts(up, ff, nExp),
            Down = Experts(down, n, nExp),
            Shared = shared == 0 ? null : new SwiGluFfn
            {
                Gate = w.Get(Blk(layer, FfnGateShexp), n, shared),
                Up = w.Get(Blk(layer, FfnUpShexp), n, shared),
                Down = w.Get(Blk(layer, FfnDownShexp), shared, n),
            },
        };
    }

    private static QTensor[] Experts(QTensor stacked, int rowsPerExpert, int nExpert) =>
        [.. Enumerable.Range(0, nExpert).Select(e => stacked.RowRange((long)e * rowsPerExpert, rowsPerExpert, $"{stacked.Name}[{e}]"))];

    /// <summary>st.Xb2 [nTok, nEmbd] ← MoE(st.Xb [nTok, nEmbd]).</summary>
    public void Forward(MoeRouting r, ForwardState st, Deepseek2Sequence seq, int nTok)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(st);
        ArgumentNullException.ThrowIfNull(seq);
        int n = (int)Router.Cols, k = r.NExpertUsed, nExp = r.NExpert;
        st.MatMul.Run(Router, st.Xb, nTok, seq.RouterLogits);
        for (int t = 0; t < nTok; t++)
            MoeRouter.Route(r, seq.RouterLogits.AsSpan(t * nExp, nExp), SelectionBias, seq.Scores, seq.Selection,
                seq.Chosen.AsSpan(t * k, k), seq.Weights.AsSpan(t * k, k));
        var sum = seq.MoeSum.AsSpan(0, nTok * n);
        sum.Clear();
        if (nTok != 1 || !TryOneToken(st, seq, k, sum))
            RunByExpert(st, seq, nTok, k, nExp, n, sum);
        var y = st.Xb2.AsSpan(0, nTok * n);
        if (Shared is null) sum.CopyTo(y);
        else
        {
            RunSwiGlu(st, Shared.Gate, Shared.Up, Shared.Down, st.Xb, nTok, seq, st.Xb2);
            FloatKernels.Add(sum, y);
        }
    }

    // Each selected expert once over the batch rows routed to it.
    private void RunByExpert(ForwardState st, Deepseek2Sequence seq, int nTok, int k, int nExp, int n, Span<float> sum)
    {
        for (int e = 0; e < nExp; e++)
        {
            int rows = GatherRowsOf(e, st, seq, nTok, k, n);
            if (rows == 0) continue;                                                  // expert e untouched
            RunSwiGlu(st, Gate[e], Up[e], Down[e], seq.ExpertIn, rows, seq, seq.ExpertOut);
            for (int j = 0; j < rows; j++)
                FloatKernels.Axpy(seq.ExpertRowWeights[j], seq.ExpertOut.AsSpan(j * n, n), sum.Slice(seq.ExpertRows[j] * n, n));
        }
    }

    // One token (decode): its k experts' gate and up products in one dispatch, their SwiGLU in one, their downs in
    // one, instead of four dispatches an expert — at 2 threads each dispatch cost ~10 µs against an expert product's
    // 30–40 µs. Same kernels and activations per product, and the outputs are summed in ascending expert order as
    // RunByExpert sums them: the same bits. False, having done nothing, where the matrices take other kernels.
    private bool TryOneToken(ForwardState st, Deepseek2Sequence seq, int k, Span<float> sum)
    {
        var experts = seq.TokenExperts.AsSpan(0, k);
        var weights = seq.TokenExpertWeights.AsSpan(0, k);
        seq.Chosen.AsSpan(0, k).CopyTo(experts);
        seq.Weights.AsSpan(0, k).CopyTo(weights);
        experts.Sort(weights);
        var mm = st.MatMul;
        var products = seq.ExpertProducts;
        int ff = (int)Gate[0].Rows, n = (int)Down[0].Rows;
        SetDowns(products, experts, seq.ExpertOut, n);
        if (!mm.CanRunMany(products, k, xRows: k)) return false;
        for (int i = 0; i < k; i++)
        {
            products[i] = new VectorProduct(Gate[experts[i]], 0, seq.ExpertGate, i * ff);
            products[k + i] = new VectorProduct(Up[experts[i]], 0, seq.ExpertUp, i * ff);
        }
        if (!mm.CanRunMany(products, 2 * k, xRows: 1)) return false;
        mm.RunMany(products, 2 * k, st.Xb, xRows: 1, sameActivations: false);
        bool fused = SwiGluFfn.Activate(st, Down[experts[0]], seq.ExpertGate, seq.ExpertUp, k, ff);
        SetDowns(products, experts, seq.ExpertOut, n);
        mm.RunMany(products, k, seq.ExpertGate, xRows: k, sameActivations: fused);
        for (int i = 0; i < k; i++)
            FloatKernels.Axpy(weights[i], seq.ExpertOut.AsSpan(i * n, n), sum);
        return true;
    }

    // products [0, k) ← expert i's down over SwiGLU row i, into row i of output.
    private void SetDowns(VectorProduct[] products, ReadOnlySpan<int> experts, float[] output, int n)
    {
        for (int i = 0; i < experts.Length; i++)
            products[i] = new VectorProduct(Down[experts[i]], i, output, i * n);
    }

    // seq.ExpertIn ← the input rows of the tokens that chose expert e (with their weights); returns how many.
    private static int GatherRowsOf(int e, ForwardState st, Deepseek2Sequence seq, int nTok, int k, int n)
    {
        int rows = 0;
        for (int t = 0; t < nTok; t++)
            for (int i = 0; i < k; i++)
            {
                if (seq.Chosen[t * k + i] != e) continue;
                seq.ExpertRows[rows] = t;
                seq.ExpertRowWeights[rows] = seq.Weights[t * k + i];
                st.Xb.AsSpan(t * n, n).CopyTo(seq.ExpertIn.AsSpan(rows * n, n));
                rows++;
            }
        return rows;
    }

    // y [rows, nEmbd] ← down · (SiLU(gate · x) ⊙ (up · x)) for x [rows, nEmbd].
    private static void RunSwiGlu(ForwardState st, QTensor gate, QTensor up, QTensor down, float[] x, int rows, Deepseek2Sequence seq, float[] y) =>
        SwiGluFfn.Run(st, gate, up, down, x, rows, seq.ExpertGate, seq.ExpertUp, y);
}
