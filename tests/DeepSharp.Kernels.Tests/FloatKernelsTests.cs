using DeepSharp.Kernels.Float;

namespace DeepSharp.Kernels.Tests;

/// <summary>Every vectorised float kernel against its scalar twin for lengths 1..256, with guard values past the end.</summary>
public sealed class FloatKernelsTests
{
    private const float Guard = 12345.5f;

    private static float[] WithGuard(float[] x)
    {
        var g = new float[x.Length + 9];
        x.CopyTo(g, 0);
        g.AsSpan(x.Length).Fill(Guard);
        return g;
    }

    private static void AssertGuardIntact(float[] g, int n) => Assert.All(g[n..], v => Assert.Equal(Guard, v));

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float rel)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= rel * (1 + Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
    }

    [Theory, MemberData(nameof(TestData.Lengths1To256), MemberType = typeof(TestData))]
    public void Dot_matches_reference(int n)
    {
        var a = TestData.Random(n, n);
        var b = TestData.Random(n, n + 1000);
        float expected = FloatKernelsScalar.Dot(a, b);
        Assert.True(Math.Abs(FloatKernels.Dot(a, b) - expected) <= 1e-5f * (1 + MathF.Sqrt(n)), $"n={n}");
    }

    [Theory, MemberData(nameof(TestData.Lengths1To256), MemberType = typeof(TestData))]
    public void Axpy_and_Add_match_reference(int n)
    {
        var x = TestData.Random(n, n);
        var y = WithGuard(TestData.Random(n, n + 7));
        var expected = y[..n];
        FloatKernelsScalar.Axpy(0.75f, x, expected);
        FloatKernels.Axpy(0.75f, x, y.AsSpan(0, n));
        AssertClose(expected, y.AsSpan(0, n), 1e-6f);
        AssertGuardIntact(y, n);

        var sum = y[..n];
        for (int i = 0; i < n; i++) sum[i] += x[i];
        FloatKernels.Add(x, y.AsSpan(0, n));
        AssertClose(sum, y.AsSpan(0, n), 1e-6f);
        AssertGuardIntact(y, n);
    }

    [Theory, MemberData(nameof(TestData.Lengths1To256), MemberType = typeof(TestData))]
    public void RmsNorm_matches_reference(int n)
    {
        var x = TestData.Random(n, n, 3f);
        var w = TestData.Random(n, n + 1);
        var expected = new float[n];
        FloatKernelsScalar.RmsNorm(x, w, 1e-5f, expected);
        var y = WithGuard(new float[n]);
        FloatKernels.RmsNorm(x, w, 1e-5f, y.AsSpan(0, n));
        AssertClose(expected, y.AsSpan(0, n), 1e-5f);
        AssertGuardIntact(y, n);
    }

    [Theory, MemberData(nameof(TestData.Lengths1To256), MemberType = typeof(TestData))]
    public void Softmax_matches_reference_and_survives_large_logits(int n)
    {
        var x = TestData.Random(n, n, 50f);
        x[0] = 1000f; // would overflow exp without subtracting the max
        var expected = (float[])x.Clone();
        FloatKernelsScalar.Softmax(expected);
        var y = WithGuard(x);
        FloatKernels.Softmax(y.AsSpan(0, n));
        AssertClose(expected, y.AsSpan(0, n), 1e-5f);
        Assert.Equal(1.0, y.Take(n).Sum(v => (double)v), 4);
        AssertGuardIntact(y, n);
    }

    [Theory, MemberData(nameof(TestData.Lengths1To256), MemberType = typeof(TestData))]
    public void SwiGlu_matches_reference(int n)
    {
        var gate = TestData.Random(n, n, 6f);
        var up = TestData.Random(n, n + 3);
        var expected = (float[])gate.Clone();
        FloatKernelsScalar.SwiGlu(expected, up);
        var y = WithGuard(gate);
        FloatKernels.SwiGlu(y.AsSpan(0, n), up);
        AssertClose(expected, y.AsSpan(0, n), 1e-5f);
        AssertGuardIntact(y, n);
    }

    // The 8-lane SiLU must take ggml's exp steps exactly as the lane-by-lane reference: random gates over the whole
    // range where exp neither saturates nor vanishes, its edges (|n| near 192, subnormal results), ±∞ and NaN.
    [Fact]
    public void Vector_swiglu_equals_the_lane_by_lane_reference_bit_for_bit()
    {
        var rng = new Random(17);
        var gate = new float[4096 + 13];
        for (int i = 0; i < gate.Length; i++) gate[i] = (float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-20, 8)));
        float[] special = [0f, -0f, 1e-30f, -1e-30f, 87.3f, -87.3f, 88.8f, -88.8f, 103.9f, -103.9f, 133f, -133f, 134f, -134f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.MaxValue, float.MinValue, float.Epsilon];
        special.CopyTo(gate, 40);
        var up = TestData.Random(gate.Length, 18, 3f);
        var expected = (float[])gate.Clone();
        Float.GgmlSilu.SwiGluRowScalar(expected, up);
        var actual = (float[])gate.Clone();
        Float.GgmlSilu.SwiGluRow(actual, up);
        for (int i = 0; i < gate.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]) || (float.IsNaN(expected[i]) && float.IsNaN(actual[i])),
                $"gate {gate[i]:R}: reference {expected[i]:R}, vector {actual[i]:R}");
    }
}
