using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// <see cref="MatMul.RunMany"/> (several one-token products in one dispatch, as a mixture-of-experts token runs its
/// experts) against one <see cref="MatMul.Run(QTensor, float[], int, float[])"/> per product, bit for bit: every kernel
/// family it takes, experts' views of a stacked tensor beside whole matrices of other heights, one shared activation
/// row or a row per product, outputs at offsets; and the sets it refuses.
/// </summary>
public sealed class VectorProductsTests
{
    private static readonly bool Takes = KernelIsaSelection.Current >= KernelIsa.Avx2;

    [Theory]
    [InlineData(QuantType.Q4_K, 256, false)]
    [InlineData(QuantType.Q4_K, 512, true)]
    [InlineData(QuantType.Q4_0, 64, false)]
    [InlineData(QuantType.Q4_0, 96, true)]
    [InlineData(QuantType.Q8_0, 64, false)]
    [InlineData(QuantType.Q8_0, 96, true)]
    [InlineData(QuantType.Q5_0, 96, false)]
    [InlineData(QuantType.Q5_0, 64, true)]
    [InlineData(QuantType.Q6_K, 256, false)]
    [InlineData(QuantType.Q6_K, 512, true)]
    public void One_dispatch_equals_a_product_each(QuantType type, int cols, bool rowPerProduct)
    {
        const int expertRows = 16, yPad = 3;
        var (stacked, keepStacked) = TestData.Weight(type, 4 * expertRows, cols, seed: cols + (int)type);
        stacked.PrepareForMatMul();
        var (tall, keepTall) = TestData.Weight(type, 200, cols, seed: 7);   // 32 groups in all: the pool's chunks of 4 span products
        var (short8, keepShort) = TestData.Weight(type, 8, cols, seed: 9);
        tall.PrepareForMatMul();
        short8.PrepareForMatMul();
        QTensor[] w = [stacked.RowRange(3 * expertRows, expertRows, "e3"), tall, stacked.RowRange(expertRows, expertRows, "e1"), short8,
            stacked.RowRange(0, expertRows, "e0")];
        int xRows = rowPerProduct ? w.Length : 1;
        var x = TestData.Random(xRows * cols, seed: cols, scale: 2f);
        var offsets = new int[w.Length];
        for (int p = 1; p < w.Length; p++) offsets[p] = offsets[p - 1] + (int)w[p - 1].Rows + yPad;
        var y = new float[offsets[^1] + w[^1].Rows];
        var products = w.Select((m, p) => new VectorProduct(m, rowPerProduct ? p : 0, y, offsets[p])).ToArray();
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool, cols, maxTokens: w.Length);

        Assert.Equal(Takes, mm.CanRunMany(products, w.Length, xRows));
        if (!Takes) return;
        mm.RunMany(products, w.Length, x, xRows, sameActivations: false);

        for (int p = 0; p < w.Length; p++)
        {
            var one = new float[w[p].Rows];
            mm.Run(w[p], x.AsSpan(products[p].XRow * cols, cols).ToArray(), 1, one);
            for (int r = 0; r < one.Length; r++)
                TestData.AssertSameBits(one[r], y[offsets[p] + r], $"{type} product {p} row {r}");
        }
        GC.KeepAlive(keepStacked);
        GC.KeepAlive(keepTall);
        GC.KeepAlive(keepShort);
    }

    // Decode's q, k and v (or gate and up): one input row, each output from its start.
    [Fact]
    public void One_tokens_products_of_one_input_equal_a_product_each_or_are_left_to_the_caller()
    {
        const int cols = 64;
        var (q, k1) = TestData.Weight(QuantType.Q8_0, 24, cols, seed: 11);
        var (k, k2) = TestData.Weight(QuantType.Q8_0, 8, cols, seed: 12);
        var (v, k3) = TestData.Weight(QuantType.Q5_0, 8, cols, seed: 13);
        foreach (var t in new[] { q, k, v }) t.PrepareForMatMul();
        var x = TestData.Random(cols, seed: 14, scale: 2f);
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool, cols, maxTokens: 1);
        var (yq, yk, yv) = (new float[24], new float[8], new float[8]);

        Assert.False(mm.TryRunOneToken(x, (q, yq), (k, yk), (v, yv)));   // Q5_0 beside Q8_0: two kernels
        Assert.All(yq.Concat(yk).Concat(yv), value => Assert.Equal(0f, value));
        Assert.Equal(Takes, mm.TryRunOneToken(x, (q, yq), (k, yk)));
        if (!Takes) return;
        foreach (var (w, y) in new[] { (q, yq), (k, yk) })
        {
            var one = new float[w.Rows];
            mm.Run(w, x, 1, one);
            for (int r = 0; r < one.Length; r++) TestData.AssertSameBits(one[r], y[r], $"{w.Name} row {r}");
        }
        GC.KeepAlive(k1);
        GC.KeepAlive(k2);
        GC.KeepAlive(k3);
    }

    [Fact]
    public void Products_that_take_different_kernels_or_do_not_fit_are_refused()
    {
        var (q8, k1) = TestData.Weight(QuantType.Q8_0, 16, 64, seed: 1);
        var (q5, k2) = TestData.Weight(QuantType.Q5_0, 16, 64, seed: 2);
        var (wide, k3) = TestData.Weight(QuantType.Q8_0, 16, 96, seed: 3);
        var (odd, k4) = TestData.Weight(QuantType.Q8_0, 12, 64, seed: 4);
        foreach (var t in new[] { q8, q5, wide, odd }) t.PrepareForMatMul();
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool, 96, maxTokens: 2);
        var y = new float[64];
        VectorProduct P(QTensor w, int xRow = 0, int offset = 0) => new(w, xRow, y, offset);

        Assert.Equal(Takes, mm.CanRunMany([P(q8), P(q8, 1, 16)], 2, xRows: 2));
        Assert.False(mm.CanRunMany([P(q8), P(q5, 0, 16)], 2, xRows: 1));     // two kernels
        Assert.False(mm.CanRunMany([P(q8), P(wide, 0, 16)], 2, xRows: 1));   // two widths
        Assert.False(mm.CanRunMany([P(odd)], 1, xRows: 1));                   // not whole groups of 8 rows
        Assert.False(mm.CanRunMany([P(q8, xRow: 1)], 1, xRows: 1));           // no such activation row
        Assert.False(mm.CanRunMany([P(q8, offset: 50)], 1, xRows: 1));        // the output does not fit
        Assert.False(mm.CanRunMany([P(q8)], 1, xRows: 4));                    // more activation values than the buffers hold (2 × 96)
        Assert.False(mm.CanRunMany([P(q8)], 0, xRows: 1));
        Assert.Throws<ArgumentException>(() => mm.RunMany([P(q8), P(q5, 0, 16)], 2, new float[64], 1, sameActivations: false));
        GC.KeepAlive(k1);
        GC.KeepAlive(k2);
        GC.KeepAlive(k3);
        GC.KeepAlive(k4);
    }
}
