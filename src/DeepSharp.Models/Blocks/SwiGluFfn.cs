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
        Run(st, Gate, Up, Down, st.Xb, nTok, st.Gate, st.Up, st.Xb2);
    }

    /// <summary>
    /// y [nTok, down.Rows] ← down · (SiLU(gate · x) ⊙ (up · x)) for x [nTok, gate.Cols], through the scratch rows
    /// <paramref name="gateOut"/> and <paramref name="upOut"/> (each [nTok, gate.Rows]); also a mixture-of-experts
    /// layer's experts. The up product reuses the gate's quantized activations, and the SwiGLU workers quantize the
    /// down projection's activations as they finish their rows.
    /// </summary>
    internal static void Run(ForwardState st, QTensor gate, QTensor up, QTensor down, float[] x, int nTok, float[] gateOut, float[] upOut,
        float[] y)
    {
        if (nTok != 1 || !st.MatMul.TryRunOneToken(x, (gate, gateOut), (up, upOut)))
        {
            st.MatMul.Run(gate, x, nTok, gateOut);
            st.MatMul.Run(up, x, nTok, upOut, sameActivations: true);
        }
        bool fused = Activate(st, down, gateOut, upOut, nTok, (int)gate.Rows);
        st.MatMul.Run(down, gateOut, nTok, y, sameActivations: fused);
    }

    /// <summary>
    /// gateOut [rows, width] ← SiLU(gateOut) ⊙ upOut, the SwiGLU workers quantizing each row for
    /// <paramref name="down"/> as they finish it where its products read integer activations; returns whether they did
    /// (the down product then passes sameActivations).
    /// </summary>
    internal static bool Activate(ForwardState st, QTensor down, float[] gateOut, float[] upOut, int rows, int width)
    {
        bool fused = st.MatMul.BeginActivations(down, gateOut, rows);
        st.SwiGlu.Run(gateOut, upOut, rows, width, fused ? st.MatMul : null);
        if (fused) st.MatMul.EndActivations();
        return fused;
    }
}
