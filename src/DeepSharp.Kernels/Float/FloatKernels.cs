using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSharp.Kernels.Float;

/// <summary>
/// Vectorised float kernels (Vector256, scalar tail). Each has a twin in <see cref="FloatKernelsScalar"/> that
/// the tests hold it to for every length 1..256. Accumulation is always float32.
/// </summary>
[SkipLocalsInit]
public static class FloatKernels
{
    /// <summary>a [n] · b [n] → scalar.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        System.Diagnostics.Debug.Assert(a.Length == b.Length);
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            for (; i <= n - 32; i += 32)
            {
                acc0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), acc0);
                acc1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref pa, (nuint)i + 8), Vector256.LoadUnsafe(ref pb, (nuint)i + 8), acc1);
                acc2 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref pa, (nuint)i + 16), Vector256.LoadUnsafe(ref pb, (nuint)i + 16), acc2);
                acc3 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref pa, (nuint)i + 24), Vector256.LoadUnsafe(ref pb, (nuint)i + 24), acc3);
            }
            for (; i <= n - 8; i += 8)
                acc0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), acc0);
            sum = Vector256.Sum((acc0 + acc1) + (acc2 + acc3));
        }
        for (; i < n; i++) sum += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return sum;
    }

    /// <summary>Σ x[i]² over [n].</summary>
    public static float SumOfSquares(ReadOnlySpan<float> x) => Dot(x, x);

    /// <summary>y [n] += a · x [n].</summary>
    public static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        System.Diagnostics.Debug.Assert(x.Length == y.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i <= n - 8; i += 8)
                Vector256.MultiplyAddEstimate(va, Vector256.LoadUnsafe(ref px, (nuint)i), Vector256.LoadUnsafe(ref py, (nuint)i))
                    .StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) += a * Unsafe.Add(ref px, i);
    }

    /// <summary>y [n] += x [n] (the residual add).</summary>
    public static void Add(ReadOnlySpan<float> x, Span<float> y)
    {
        System.Diagnostics.Debug.Assert(x.Length == y.Length);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref px, (nuint)i) + Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref py, i) += Unsafe.Add(ref px, i);
    }

    /// <summary>y [n] = x [n] / sqrt(mean(x²) + eps) ⊙ w [n]  (RMSNorm, no mean subtraction, no bias).</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float eps, Span<float> y)
    {
        System.Diagnostics.Debug.Assert(x.Length == w.Length && x.Length == y.Length);
        // As ggml's rms_norm: float squares summed in double, the mean rounded to float, then 1/sqrtf(mean + eps).
        double sumSq = 0;
        foreach (float v in x) sumSq += v * v;
        float mean = (float)(sumSq / x.Length);
        float scale = 1f / MathF.Sqrt(mean + eps);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pw = ref MemoryMarshal.GetReference(w);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(scale);
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref px, (nuint)i) * vs * Vector256.LoadUnsafe(ref pw, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = Unsafe.Add(ref px, i) * scale * Unsafe.Add(ref pw, i);
    }

    /// <summary>x [n] ← softmax(x) in place, max subtracted first so large logits cannot overflow.</summary>
    public static void Softmax(Span<float> x)
    {
        if (x.IsEmpty) return;
        float max = float.NegativeInfinity;
        foreach (float v in x) max = MathF.Max(max, v);
        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < x.Length; i++) x[i] *= inv;
    }

    /// <summary>
    /// gate [n] ← silu(gate) ⊙ up [n], silu(z) = z·σ(z)  (SwiGLU, the "parallel" FFN), row by row of
    /// <paramref name="rowWidth"/> values (default: one row) with llama.cpp's exp (see <see cref="GgmlSilu"/>).
    /// </summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up, int rowWidth = 0)
    {
        System.Diagnostics.Debug.Assert(gate.Length == up.Length);
        int width = rowWidth > 0 ? rowWidth : gate.Length;
        for (int r = 0; r + width <= gate.Length; r += width)
            GgmlSilu.SwiGluRow(gate.Slice(r, width), up.Slice(r, width));
    }
}
