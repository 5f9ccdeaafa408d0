using DeepSharp.Kernels.Float;

namespace DeepSharp.Train.Autograd;

/// <summary>
/// The three products of a linear layer y = x·Wᵀ: forward, and the gradients of x and W. Each is one call of the
/// register-blocked <see cref="FloatGemm"/> on row-major operands (W or dy transposed first where the product needs
/// it), split into rectangles of the output that the tape's threads compute independently.
/// </summary>
internal static class MatMul
{
    private const int ColBlock = 128;

    /// <summary>y [n, out] = x [n, in] · w [out, in]ᵀ (+ bias [out]).</summary>
    public static void Forward(Tape tape, Tensor x, Tensor w, float[]? bias, Tensor y)
    {
        int inDim = x.Cols, outDim = w.Rows;
        float[] wT = Transpose(w.Data, outDim, inDim);
        Multiply(tape, x.Data, wT, y.Data, x.Rows, inDim, outDim, accumulate: false);
        if (bias is not null)
        {
            tape.For(x.Rows, r => FloatKernels.Add(bias, y.Row(r)));
        }
    }

    /// <summary>dx [n, in] += dy [n, out] · w [out, in].</summary>
    public static void BackwardInput(Tape tape, float[] dy, Tensor w, Tensor x) =>
        Multiply(tape, dy, w.Data, x.Grad, x.Rows, w.Rows, x.Cols, accumulate: true);

    /// <summary>dw [out, in] += dy [n, out]ᵀ · x [n, in]; dbias [out] += Σ_n dy.</summary>
    public static void BackwardWeight(Tape tape, float[] dy, Tensor x, Tensor w, Tensor? bias)
    {
        int n = x.Rows, inDim = x.Cols, outDim = w.Rows;
        float[] dyT = Transpose(dy, n, outDim);
        Multiply(tape, dyT, x.Data, w.Grad, outDim, n, inDim, accumulate: true);
        if (bias is not null)
        {
            float[] db = bias.Grad;
            for (int o = 0; o < outDim; o++)
            {
                float sum = 0;
                foreach (float g in dyT.AsSpan(o * n, n))
                {
                    sum += g;
                }

                db[o] += sum;
            }
        }
    }

    // c [m, n] (+)= a [m, k] · b [k, n], in rectangles small enough that both threads get several.
    private static void Multiply(Tape tape, float[] a, float[] b, float[] c, int m, int k, int n, bool accumulate)
    {
        int rowBlock = Math.Clamp(CeilDiv(CeilDiv(m, 4 * tape.Threads), FloatGemm.RowTile) * FloatGemm.RowTile, FloatGemm.RowTile, 16 * FloatGemm.RowTile);
        int rowBlocks = CeilDiv(m, rowBlock), colBlocks = CeilDiv(n, ColBlock);
        tape.For(rowBlocks * colBlocks, t =>
        {
            int i = t / colBlocks * rowBlock, j = t % colBlocks * ColBlock;
            FloatGemm.MultiplyRect(a, b, c, k, n, i, Math.Min(m, i + rowBlock), j, Math.Min(n, j + ColBlock), accumulate);
        });
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                t[c * rows + r] = a[r * cols + c];
            }
        }

        return t;
    }
}
