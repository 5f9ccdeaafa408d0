using DeepSharp.Kernels.Float;

namespace DeepSharp.Train.Autograd;

/// <summary>
/// The differentiable ops of a qwen2/llama decoder. Each computes its output now and records on the tape how to add
/// ∂loss/∂input given ∂loss/∂output. Forward arithmetic uses the engine's kernels where one exists, so trainer and
/// engine logits agree to float rounding.
/// </summary>
public static partial class Ops
{
    /// <summary>y [n, d] = table [vocab, d] rows of <paramref name="ids"/>.</summary>
    public static Tensor Embedding(Tape tape, Tensor table, int[] ids)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(ids);
        int d = table.Cols;
        var y = new Tensor(ids.Length, d);
        for (int r = 0; r < ids.Length; r++)
        {
            table.Row(ids[r]).CopyTo(y.Row(r));
        }

        tape.Record(() =>
        {
            if (!y.HasGrad)
            {
                return;
            }

            for (int r = 0; r < ids.Length; r++)   // sequential: two rows may share a token
            {
                FloatKernels.Add(y.GradRow(r), table.GradRow(ids[r]));
            }
        });
        return y;
    }

    /// <summary>y [n, out] = x [n, in] · w [out, in]ᵀ + b [out] (b optional).</summary>
    public static Tensor Linear(Tape tape, Tensor x, Tensor w, Tensor? b = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        if (x.Cols != w.Cols || (b is not null && b.Length != w.Rows))
        {
            throw new ArgumentException($"Linear: x [{x.Rows}, {x.Cols}] · w [{w.Rows}, {w.Cols}]ᵀ + b [{b?.Length}] do not fit.");
        }

        var y = new Tensor(x.Rows, w.Rows);
        MatMul.Forward(tape, x, w, b?.Data, y);
        tape.Record(() =>
        {
            if (y.HasGrad)
            {
                MatMul.BackwardInput(tape, y.Grad, w, x);
                MatMul.BackwardWeight(tape, y.Grad, x, w, b);
            }
        });
        return y;
    }

    /// <summary>y = a + b (same shapes): the residual connection.</summary>
    public static Tensor Add(Tape tape, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rows != b.Rows || a.Cols != b.Cols)
        {
            throw new ArgumentException($"Add: [{a.Rows}, {a.Cols}] and [{b.Rows}, {b.Cols}] differ.");
        }

        var y = new Tensor(a.Rows, a.Cols, [.. a.Data]);
        FloatKernels.Add(b.Data, y.Data);
        tape.Record(() =>
        {
            if (y.HasGrad)
            {
                FloatKernels.Add(y.Grad, a.Grad);
                FloatKernels.Add(y.Grad, b.Grad);
            }
        });
        return y;
    }

    /// <summary>y [n, d] = x / sqrt(mean(x²) + ε) ⊙ w, row by row.</summary>
    public static Tensor RmsNorm(Tape tape, Tensor x, Tensor w, float eps)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        int d = x.Cols;
        var y = new Tensor(x.Rows, d);
        var scale = new float[x.Rows];
        tape.For(x.Rows, r =>
        {
            FloatKernels.RmsNorm(x.Row(r), w.Data, eps, y.Row(r));
            scale[r] = 1f / MathF.Sqrt((float)(SumOfSquares(x.Row(r)) / d) + eps);
        });
        tape.Record(() => RmsNormBackward(tape, x, w, y, scale));
        return y;
    }

    // y_i = x_i·s·w_i with s = (mean(x²)+ε)^-½:  dx_i = s·w_i·g_i − x_i·s³/d·Σ_j g_j·w_j·x_j ;  dw_i += Σ_rows g_i·x_i·s.
    private static void RmsNormBackward(Tape tape, Tensor x, Tensor w, Tensor y, float[] scale)
    {
        if (!y.HasGrad)
        {
            return;
        }

        int d = x.Cols;
        float[] dx = x.Grad, dy = y.Grad;
        tape.For(x.Rows, r =>
        {
            float s = scale[r];
            int o = r * d;
            double dot = 0;
            for (int i = 0; i < d; i++)
            {
                dot += dy[o + i] * w.Data[i] * x.Data[o + i];
            }

            float c = (float)(dot * s * s * s / d);
            for (int i = 0; i < d; i++)
            {
                dx[o + i] += s * w.Data[i] * dy[o + i] - x.Data[o + i] * c;
            }
        });
        float[] dw = w.Grad;
        for (int r = 0; r < x.Rows; r++)   // sequential: every row adds into the same weights
        {
            float s = scale[r];
            int o = r * d;
            for (int i = 0; i < d; i++)
            {
                dw[i] += dy[o + i] * x.Data[o + i] * s;
            }
        }
    }

    private static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x)
        {
            sum += v * v;
        }

        return sum;
    }

    /// <summary>y [n, f] = silu(gate) ⊙ up, silu(z) = z·σ(z).</summary>
    public static Tensor SwiGlu(Tape tape, Tensor gate, Tensor up)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        var y = new Tensor(gate.Rows, gate.Cols, [.. gate.Data]);
        tape.For(gate.Rows, r => FloatKernels.SwiGlu(y.Row(r), up.Row(r)));
        tape.Record(() =>
        {
            if (!y.HasGrad)
            {
                return;
            }

            float[] dg = gate.Grad, du = up.Grad, dy = y.Grad;
            tape.For(gate.Rows, r =>
            {
                for (int i = r * gate.Cols, end = i + gate.Cols; i < end; i++)
                {
                    float z = gate.Data[i], sig = 1f / (1f + MathF.Exp(-z)), silu = z * sig;
                    du[i] += dy[i] * silu;
                    dg[i] += dy[i] * up.Data[i] * sig * (1f + z * (1f - sig));
                }
            });
        });
        return y;
    }
}
