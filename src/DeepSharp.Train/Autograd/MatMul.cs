using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DeepSharp.Kernels.Float;

namespace DeepSharp.Train.Autograd;

/// <summary>The three products of a linear layer y = x·Wᵀ: forward, and the gradients of x and W.</summary>
internal static class MatMul
{
    /// <summary>y [n, out] = x [n, in] · w [out, in]ᵀ (+ bias [out]).</summary>
    public static void Forward(Tape tape, Tensor x, Tensor w, float[]? bias, Tensor y)
    {
        int inDim = x.Cols, outDim = w.Rows;
        tape.For(x.Rows, r =>
        {
            ReadOnlySpan<float> xr = x.Row(r);
            Span<float> yr = y.Row(r);
            int o = 0;
            for (; o + 4 <= outDim; o += 4)
            {
                Dot4(xr, w.Data.AsSpan(o * inDim, 4 * inDim), yr.Slice(o, 4));
            }

            for (; o < outDim; o++)
            {
                yr[o] = FloatKernels.Dot(xr, w.Data.AsSpan(o * inDim, inDim));
            }

            if (bias is not null)
            {
                FloatKernels.Add(bias, yr);
            }
        });
    }

    /// <summary>dx [n, in] += dy [n, out] · w [out, in].</summary>
    public static void BackwardInput(Tape tape, float[] dy, Tensor w, Tensor x)
    {
        int inDim = x.Cols, outDim = w.Rows;
        float[] dx = x.Grad;
        tape.For(x.Rows, r =>
        {
            Span<float> dxr = dx.AsSpan(r * inDim, inDim);
            for (int o = 0; o < outDim; o++)
            {
                float g = dy[r * outDim + o];
                if (g != 0)
                {
                    FloatKernels.Axpy(g, w.Data.AsSpan(o * inDim, inDim), dxr);
                }
            }
        });
    }

    /// <summary>dw [out, in] += dy [n, out]ᵀ · x [n, in]; dbias [out] += Σ_n dy.</summary>
    public static void BackwardWeight(Tape tape, float[] dy, Tensor x, Tensor w, Tensor? bias)
    {
        int n = x.Rows, inDim = x.Cols, outDim = w.Rows;
        float[] dyT = Transpose(dy, n, outDim);
        float[] dw = w.Grad;
        float[]? db = bias?.Grad;
        tape.For(outDim, o =>
        {
            Span<float> dwo = dw.AsSpan(o * inDim, inDim);
            ReadOnlySpan<float> column = dyT.AsSpan(o * n, n);
            float sum = 0;
            for (int r = 0; r < n; r++)
            {
                float g = column[r];
                if (g != 0)
                {
                    FloatKernels.Axpy(g, x.Data.AsSpan(r * inDim, inDim), dwo);
                    sum += g;
                }
            }

            if (db is not null)
            {
                db[o] += sum;
            }
        });
    }

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

    /// <summary>y[k] = x · w[k] for the four consecutive rows of <paramref name="w4"/> (x read once per block of 8).</summary>
    private static void Dot4(ReadOnlySpan<float> x, ReadOnlySpan<float> w4, Span<float> y)
    {
        int n = x.Length, i = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            ReadOnlySpan<Vector256<float>> xv = MemoryMarshal.Cast<float, Vector256<float>>(x);
            ReadOnlySpan<Vector256<float>> w0 = MemoryMarshal.Cast<float, Vector256<float>>(w4[..n]);
            ReadOnlySpan<Vector256<float>> w1 = MemoryMarshal.Cast<float, Vector256<float>>(w4.Slice(n, n));
            ReadOnlySpan<Vector256<float>> w2 = MemoryMarshal.Cast<float, Vector256<float>>(w4.Slice(2 * n, n));
            ReadOnlySpan<Vector256<float>> w3 = MemoryMarshal.Cast<float, Vector256<float>>(w4.Slice(3 * n, n));
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int v = 0; v < xv.Length; v++)
            {
                Vector256<float> xi = xv[v];
                a0 = Vector256.MultiplyAddEstimate(xi, w0[v], a0);
                a1 = Vector256.MultiplyAddEstimate(xi, w1[v], a1);
                a2 = Vector256.MultiplyAddEstimate(xi, w2[v], a2);
                a3 = Vector256.MultiplyAddEstimate(xi, w3[v], a3);
            }

            s0 = Vector256.Sum(a0);
            s1 = Vector256.Sum(a1);
            s2 = Vector256.Sum(a2);
            s3 = Vector256.Sum(a3);
            i = xv.Length * 8;
        }

        for (; i < n; i++)
        {
            s0 += x[i] * w4[i];
            s1 += x[i] * w4[n + i];
            s2 += x[i] * w4[2 * n + i];
            s3 += x[i] * w4[3 * n + i];
        }

        y[0] = s0;
        y[1] = s1;
        y[2] = s2;
        y[3] = s3;
    }
}
