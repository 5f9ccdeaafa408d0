using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// <see cref="MatMul.Run(QTensor, float[], int, float[], bool)"/> with sameActivations: a product that reuses the
/// previous product's quantized activations must equal one that quantizes afresh, bit for bit — also when the
/// weight types want another activation format, another token count, or a per-head product came in between.
/// </summary>
public sealed class SharedActivationsTests
{
    private const int Cols = 256, Rows = 16;

    [Fact]
    public void Reused_activations_give_the_products_of_fresh_ones()
    {
        var types = new[] { QuantType.Q4_K, QuantType.Q6_K, QuantType.Q8_0, QuantType.F16, QuantType.Q4_K, QuantType.Q5_K };
        var weights = types.Select((t, i) => TestData.Weight(t, Rows, Cols, seed: 70 + i)).ToArray();
        using var pool = new WorkerPool(2);
        var shared = new MatMul(pool, Cols, maxTokens: 8);   // room for the per-head product's 2 × nTok rows
        var fresh = new MatMul(pool, Cols, maxTokens: 4);
        foreach (int nTok in new[] { 3, 1, 4 })
        {
            var x = TestData.Random(nTok * Cols, 80 + nTok, 2f);
            for (int i = 0; i < weights.Length; i++)
            {
                var w = weights[i].Tensor;
                var expected = new float[nTok * Rows];
                var actual = new float[nTok * Rows];
                fresh.Run(w, x, nTok, expected);
                shared.Run(w, x, nTok, actual, sameActivations: i > 0);
                AssertBits(expected, actual, $"{w.Type} #{i} nTok={nTok}");
            }
            // A per-head product overwrites the quantized activations: the next reuse must notice.
            var heads = new[] { weights[1].Tensor, TestData.Weight(QuantType.Q6_K, Rows, Cols, seed: 90).Tensor };
            Assert.True(shared.TryRunPerHead(heads, TestData.Random(nTok * 2 * Cols, 91, 2f), Cols, nTok, new float[nTok * 2 * Rows], Rows));
            var after = new float[nTok * Rows];
            var reference = new float[nTok * Rows];
            shared.Run(weights[1].Tensor, x, nTok, after, sameActivations: true);
            fresh.Run(weights[1].Tensor, x, nTok, reference);
            AssertBits(reference, after, $"after a per-head product, nTok={nTok}");
        }
        GC.KeepAlive(weights);
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        for (int j = 0; j < expected.Length; j++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[j]) == BitConverter.SingleToInt32Bits(actual[j]),
                $"{what} value {j}: reused {actual[j]:R}, fresh {expected[j]:R}");
    }

    // Activations quantized row by row by other code (SwiGLU's workers) serve the next product as if it had
    // quantized them itself; a weight whose products take float activations declines.
    [Fact]
    public void Activations_filled_row_by_row_serve_the_next_product()
    {
        const int nTok = 3;
        var (w, keep) = TestData.Weight(QuantType.Q6_K, Rows, Cols, seed: 95);
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool, Cols, maxTokens: 4);
        var x = TestData.Random(nTok * Cols, 96, 2f);
        Assert.True(mm.BeginActivations(w, x, nTok));
        mm.QuantizeActivationRows(2, 3);
        mm.QuantizeActivationRows(0, 2);
        mm.EndActivations();
        var filled = new float[nTok * Rows];
        var fresh = new float[nTok * Rows];
        mm.Run(w, x, nTok, filled, sameActivations: true);
        new MatMul(pool, Cols, maxTokens: 4).Run(w, x, nTok, fresh);
        AssertBits(fresh, filled, "filled row by row");
        var (f16, keepF16) = TestData.Weight(QuantType.F16, Rows, Cols, seed: 97);
        Assert.False(mm.BeginActivations(f16, x, nTok));
        GC.KeepAlive(keep);
        GC.KeepAlive(keepF16);
    }

    // A product that makes no promise ends the reuse even when it quantizes nothing itself (float weights): x rewritten
    // in place and multiplied by a float matrix first must not let the next integer product take the old quantization.
    [Fact]
    public void A_product_without_the_promise_ends_the_reuse()
    {
        const int nTok = 2;
        var (q4k, keepQ) = TestData.Weight(QuantType.Q4_K, Rows, Cols, seed: 98);
        var (f16, keepF) = TestData.Weight(QuantType.F16, Rows, Cols, seed: 99);
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool, Cols, maxTokens: 4);
        var x = TestData.Random(nTok * Cols, 100, 2f);
        var y = new float[nTok * Rows];
        mm.Run(q4k, x, nTok, y);
        TestData.Random(nTok * Cols, 101, 2f).CopyTo(x, 0);   // the same array, new values (the next layer's input)
        mm.Run(f16, x, nTok, y);
        var reused = new float[nTok * Rows];
        var fresh = new float[nTok * Rows];
        mm.Run(q4k, x, nTok, reused, sameActivations: true);
        new MatMul(pool, Cols, maxTokens: 4).Run(q4k, x, nTok, fresh);
        AssertBits(fresh, reused, "after a float product");
        GC.KeepAlive(keepQ);
        GC.KeepAlive(keepF);
    }
}
