using DeepSharp.Kernels.Attention;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// <see cref="TiledAttention.SoftmaxStep"/> takes its masking, maximum and rescaling 8 lanes at a time. It must do
/// exactly what the element-by-element loops it replaced did — the tiled kernel and its reference both call it, so
/// the bit-for-bit attention tests cannot see a change in its own semantics: a NaN score, signed zeros, infinities,
/// every count of visible positions.
/// </summary>
public sealed class TiledSoftmaxTests
{
    private const int Tile = TiledAttention.KvTile, Width = 24;

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        foreach (int visible in new[] { 0, 1, 7, 8, 9, 40, 63, 64 })
            foreach (string special in new[] { "none", "nan0", "nan8", "nan39", "nan63", "zeros", "inf", "-inf" })
                data.Add(visible, special);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Softmax_step_equals_the_element_by_element_loops(int visible, string special)
    {
        foreach (float priorMax in new[] { float.NegativeInfinity, -3f, 0.25f, 50f })
        {
            var scores = TestData.Random(Tile, seed: visible * 31 + special.Length, scale: 8f);
            Plant(scores, special);
            var o = TestData.Random(Width, seed: 5, scale: 1f);
            var (s1, o1, s2, o2) = (scores.ToArray(), o.ToArray(), scores.ToArray(), o.ToArray());
            var (max1, sum1, max2, sum2) = (priorMax, 2.5f, priorMax, 2.5f);
            // k0 = 64, lastVisible = 63 + visible: positions 64 .. 63 + visible of a tile of 64 are visible.
            TiledAttention.SoftmaxStep(s1, Tile, Tile, Tile - 1 + visible, ref max1, ref sum1, o1, 0.125f);
            ElementByElement(s2, Tile, Tile, Tile - 1 + visible, ref max2, ref sum2, o2, 0.125f);
            string at = $"visible {visible}, {special}, prior max {priorMax}";
            for (int j = 0; j < Tile; j++) TestData.AssertSameBits(s2[j], s1[j], $"{at}: score {j}");
            for (int i = 0; i < Width; i++) TestData.AssertSameBits(o2[i], o1[i], $"{at}: output {i}");
            TestData.AssertSameBits(max2, max1, $"{at}: max");
            TestData.AssertSameBits(sum2, sum1, $"{at}: sum");
        }
    }

    // Row p (1 ≤ p ≤ 62): p tiny values t, then 1, then 2^-24. In double, p·t is just over half an ulp of 1 and
    // (p − 1)·t just under, so the sum is 1 + 2^-52 + 2^-24, which rounds up as a float, only if all p tiny values
    // are added before the 1; any other order gives 1 + 2^-24, which rounds to 1. So a row summed out of order —
    // say two neighbouring columns swapped, or columns of one row taken with another's — changes its float result.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tile_row_sums_take_each_row_in_order(bool transposed)
    {
        if (transposed && !System.Runtime.Intrinsics.X86.Avx.IsSupported) return;
        const int rows = 62 + 3;   // 8 rows at a time, then a tail of 1
        var scores = new float[rows * Tile];
        for (int p = 1; p <= 62; p++)
        {
            var row = scores.AsSpan((p - 1) * Tile, Tile);
            row[..p].Fill((float)(Math.Pow(2, -53) / (p - 0.5)));
            (row[p], row[p + 1]) = (1f, MathF.Pow(2, -24));
        }
        var random = TestData.Random(3 * Tile, seed: 9, scale: 1f);
        random.AsSpan().CopyTo(scores.AsSpan(62 * Tile));
        var sum = TestData.Random(rows, seed: 4, scale: 3f);
        var expected = sum.ToArray();
        for (int r = 0; r < rows; r++) expected[r] += (float)TiledAttention.RowSum(scores.AsSpan(r * Tile, Tile));
        TiledAttention.AddRowSums(scores, rows, sum, transposed);
        for (int r = 0; r < rows; r++) TestData.AssertSameBits(expected[r], sum[r], $"row {r}");
        for (int r = 0; r < 62; r++) Assert.Equal(1f + MathF.Pow(2, -23), (float)TiledAttention.RowSum(scores.AsSpan(r * Tile, Tile)));
    }

    private static void Plant(float[] s, string special)
    {
        switch (special)
        {
            case "zeros": for (int j = 0; j < s.Length; j += 2) s[j] = j % 4 == 0 ? 0f : -0f; break;
            case "inf": s[5] = float.PositiveInfinity; break;
            case "-inf": for (int j = 0; j < 12; j++) s[j] = float.NegativeInfinity; break;
            case "none": break;
            default: s[int.Parse(special[3..])] = float.NaN; break;
        }
    }

    // The loops SoftmaxStep was written as before it was vectorised (session 13).
    private static void ElementByElement(Span<float> s, int k0, int nk, int lastVisible, ref float max, ref float sum, Span<float> o, float scale)
    {
        int visible = Math.Clamp(lastVisible - k0 + 1, 0, nk);
        for (int j = 0; j < s.Length; j++) s[j] = j < visible ? s[j] * scale : float.NegativeInfinity;
        float tileMax = float.NegativeInfinity;
        for (int j = 0; j < visible; j++) tileMax = MathF.Max(tileMax, s[j]);
        if (tileMax == float.NegativeInfinity)
        {
            s.Clear();
            return;
        }
        float newMax = MathF.Max(max, tileMax);
        if (newMax > max)
        {
            float ms = TiledAttention.Exp(max - newMax);
            for (int i = 0; i < o.Length; i++) o[i] *= ms;
            sum *= ms;
        }
        max = newMax;
        for (int j = 0; j < s.Length; j++) s[j] = TiledAttention.Exp(s[j] - newMax);
        double tileSum = 0;
        for (int j = 0; j < s.Length; j++) tileSum += s[j];
        sum += (float)tileSum;
    }
}
