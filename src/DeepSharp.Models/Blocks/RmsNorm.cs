using DeepSharp.Kernels.Float;

namespace DeepSharp.Models.Blocks;

/// <summary>RMSNorm with a learned gain: y = x / sqrt(mean(x²) + eps) ⊙ weight, per token row.</summary>
public sealed class RmsNorm(float[] weight, float eps)
{
    public float[] Weight { get; } = weight;   // [width]

    /// <summary>y [nTok, width] ← rmsnorm(x [nTok, width]) (rows starting at row <paramref name="firstRow"/> of x).</summary>
    public void Apply(float[] x, int firstRow, int nTok, float[] y)
    {
        int n = Weight.Length;
        for (int t = 0; t < nTok; t++)
            FloatKernels.RmsNorm(x.AsSpan((firstRow + t) * n, n), Weight, eps, y.AsSpan(t * n, n));
    }
}
