using DeepSharp.Kernels.Float;

namespace DeepSharp.Train.Tests;

public class GemmTests
{
    // Shapes that exercise full 6 × 16 tiles, ragged row and column edges, and more than one 256-deep block.
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(6, 8, 16)]
    [InlineData(7, 21, 17)]
    [InlineData(13, 300, 48)]
    [InlineData(40, 600, 130)]
    [InlineData(5, 3, 300)]
    public void Blocked_product_equals_the_triple_loop(int m, int k, int n)
    {
        float[] a = RandomMatrix(m * k, 1), b = RandomMatrix(k * n, 2), start = RandomMatrix(m * n, 3);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = [.. start], actual = [.. start];
            FloatGemm.Reference(a, b, expected, m, k, n, accumulate);
            FloatGemm.MultiplyRect(a, b, actual, k, n, 0, m, 0, n, accumulate);
            AssertClose(expected, actual, k);
        }
    }

    [Fact]
    public void Rectangles_compute_exactly_their_part_of_the_product()
    {
        const int m = 19, k = 33, n = 41;
        float[] a = RandomMatrix(m * k, 4), b = RandomMatrix(k * n, 5);
        float[] expected = new float[m * n], actual = new float[m * n];
        FloatGemm.Reference(a, b, expected, m, k, n, accumulate: false);
        foreach ((int r0, int r1) in new[] { (0, 7), (7, 19) })
        {
            foreach ((int c0, int c1) in new[] { (0, 16), (16, 20), (20, 41) })
            {
                FloatGemm.MultiplyRect(a, b, actual, k, n, r0, r1, c0, c1, accumulate: false);
            }
        }

        AssertClose(expected, actual, k);
    }

    [Fact]
    public void A_rectangle_outside_the_matrices_is_refused()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        Assert.Throws<ArgumentException>(() => FloatGemm.MultiplyRect(a, b, c, 3, 2, 0, 3, 0, 2, accumulate: false));
    }

    private static void AssertClose(float[] expected, float[] actual, int k)
    {
        // Only the order of the k additions differs: each term is below 1 in magnitude.
        float tolerance = 1e-6f * (k + 10);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: {expected[i]} vs {actual[i]}");
        }
    }

    private static float[] RandomMatrix(int length, int seed)
    {
        var rng = new Random(seed);
        var data = new float[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        return data;
    }
}
