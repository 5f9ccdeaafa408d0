using DeepSharp.Kernels.Float;

namespace DeepSharp.Kernels.Tests;

public sealed class RopeTests
{
    [Theory]
    [InlineData(RopeStyle.Norm, 64, 0)]
    [InlineData(RopeStyle.Neox, 64, 17)]
    [InlineData(RopeStyle.Norm, 24, 300)]
    [InlineData(RopeStyle.Neox, 48, 1023)]
    public void Rotation_matches_the_formula_with_pow(RopeStyle style, int nRot, int pos)
    {
        const float freqBase = 10000f;
        var c = new RopeConfig(style, nRot, freqBase);
        var cos = new float[nRot / 2];
        var sin = new float[nRot / 2];
        Rope.Angles(c, pos, cos, sin);
        int headDim = nRot + 8; // dims past nRot stay as they are
        var x = TestData.Random(headDim, pos + nRot);
        var y = (float[])x.Clone();
        Rope.Rotate(y, cos, sin, style);
        for (int i = 0; i < nRot / 2; i++)
        {
            double theta = pos * Math.Pow(freqBase, -2.0 * i / nRot);
            (int a, int b) = style == RopeStyle.Norm ? (2 * i, 2 * i + 1) : (i, i + nRot / 2);
            double ya = x[a] * Math.Cos(theta) - x[b] * Math.Sin(theta);
            double yb = x[a] * Math.Sin(theta) + x[b] * Math.Cos(theta);
            Assert.Equal(ya, y[a], 3e-4);
            Assert.Equal(yb, y[b], 3e-4);
        }
        Assert.Equal(x[nRot..], y[nRot..]);
    }

    [Fact]
    public void Neox_pairing_is_norm_pairing_on_interleaved_halves()
    {
        const int n = 32;
        var c = new RopeConfig(RopeStyle.Norm, n, 10000f);
        var cos = new float[n / 2];
        var sin = new float[n / 2];
        Rope.Angles(c, 5, cos, sin);
        var x = TestData.Random(n, 1);
        var interleaved = new float[n];
        for (int i = 0; i < n / 2; i++) (interleaved[2 * i], interleaved[2 * i + 1]) = (x[i], x[i + n / 2]);
        Rope.Rotate(x, cos, sin, RopeStyle.Neox);
        Rope.Rotate(interleaved, cos, sin, RopeStyle.Norm);
        for (int i = 0; i < n / 2; i++)
        {
            Assert.Equal(x[i], interleaved[2 * i]);
            Assert.Equal(x[i + n / 2], interleaved[2 * i + 1]);
        }
    }

    [Fact]
    public void Linear_scaling_by_two_halves_the_position()
    {
        var plain = new RopeConfig(RopeStyle.Neox, 16, 10000f);
        var scaled = plain with { Scaling = RopeScaling.Linear, FreqScale = 0.5f };
        float[] c1 = new float[8], s1 = new float[8], c2 = new float[8], s2 = new float[8];
        Rope.Angles(plain, 21, c1, s1);
        Rope.Angles(scaled, 42, c2, s2);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(c1[i], c2[i], 1e-5);
            Assert.Equal(s1[i], s2[i], 1e-5);
        }
    }

    [Fact]
    public void Frequency_factors_divide_the_angle()
    {
        var plain = new RopeConfig(RopeStyle.Norm, 8, 10000f);
        var withFactors = plain with { FreqFactors = [1f, 2f, 4f, 8f] };
        float[] c1 = new float[4], s1 = new float[4], c2 = new float[4], s2 = new float[4];
        Rope.Angles(plain, 3, c1, s1);
        Rope.Angles(withFactors, 3, c2, s2);
        Assert.Equal(c1[0], c2[0]);
        double theta1 = 3 * Math.Pow(10000, -2.0 / 8) / 2;
        Assert.Equal(Math.Cos(theta1), c2[1], 1e-5);
        Assert.Equal(Math.Sin(theta1), s2[1], 1e-5);
    }

    [Fact]
    public void Yarn_keeps_high_frequencies_and_interpolates_low_ones()
    {
        var plain = new RopeConfig(RopeStyle.Neox, 64, 10000f);
        var yarn = plain with { Scaling = RopeScaling.Yarn, FreqScale = 0.25f, NCtxOrig = 4096, ExtFactor = 1f };
        float[] c1 = new float[32], s1 = new float[32], c2 = new float[32], s2 = new float[32];
        Rope.Angles(plain, 100, c1, s1);
        Rope.Angles(yarn, 100, c2, s2);
        float mscale = 1f + 0.1f * MathF.Log(4f);
        Assert.Equal(c1[0] * mscale, c2[0], 1e-4);                  // fastest pair: extrapolated (unchanged angle)
        double theta31 = 100 * Math.Pow(10000, -62.0 / 64) * 0.25;  // slowest pair: interpolated (angle / 4)
        Assert.Equal(Math.Cos(theta31) * mscale, c2[31], 1e-4);
    }
}
