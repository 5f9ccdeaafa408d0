using DeepSharp.Kernels.Quantized;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Blocks;

/// <summary>The gated FFN: down · (SiLU(gate · x) ⊙ (up · x)).</summary>
public sealed class SwiGluFfn
{
    public required QTensor Gate { get; init; }   // [nFf rows, nEmbd]
    public required QTensor Up { get; init; }     // [nFf rows, nEmbd]
    public required QTensor Down { get; init; }   // [nEmbd rows, nFf]

    public static SwiGluFfn Load(WeightSource w, int layer, ModelSpec s)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(s);
        return new SwiGluFfn
        {
            Gate = w.Get(TensorNames.Blk(layer, TensorNames.FfnGate), s.NEmbd, s.NFf),
            Up = w.Get(TensorNames.Blk(layer, TensorNames.FfnUp), s.NEmbd, s.NFf),
            Down = w.Get(TensorNames.Blk(layer, TensorNames.FfnDown), s.NFf, s.NEmbd),
        };
    }

    /// <summary>st.Xb2 [nTok, nEmbd] ← ffn(st.Xb [nTok, nEmbd]).</summary>
    public void Forward(ForwardState st, int nTok)
    {
        ArgumentNullException.ThrowIfNull(st);
        int nFf = (int)Gate.Rows;
        st.MatMul.Run(Gate, st.Xb, nTok, st.Gate);
        st.MatMul.Run(Up, st.Xb, nTok, st.Up, sameActivations: true);
        // The workers quantize the down projection's activations as they finish their rows.
        bool fused = st.MatMul.BeginActivations(Down, st.Gate, nTok);
        st.SwiGlu.Run(st.Gate, st.Up, nTok, nFf, fused ? st.MatMul : null);
        if (fused) st.MatMul.EndActivations();
        st.MatMul.Run(Down, st.Gate, nTok, st.Xb2, sameActivations: fused);
    }
}
