using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// <see cref="MatMul.TryRunPerHead"/> (every head's product in one dispatch over strided rows) against one
/// <see cref="MatMul.Run(QTensor, float[], int, float[])"/> per head on gathered rows, bit for bit: tile and non-tile weight types, a row count that
/// leaves a partial tile, token counts that leave partial token tiles.
/// </summary>
public sealed class PerHeadMatMulTests
{
    [Theory]
    [InlineData(QuantType.Q8_0, 64, 36)]
    [InlineData(QuantType.Q5_0, 32, 8)]
    [InlineData(QuantType.Q6_K, 256, 12)]
    [InlineData(QuantType.Q4_K, 256, 10)]
    public void One_dispatch_equals_a_product_per_head(QuantType type, int cols, int rows)
    {
        const int nHeads = 3, xPad = 5, yPad = 7;
        int xStride = cols + xPad, yStride = rows + yPad;
        var heads = Enumerable.Range(0, nHeads).Select(h => TestData.Weight(type, rows, cols, seed: 40 + h)).ToArray();
        var w = heads.Select(h => h.Tensor).ToArray();
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool, cols, maxTokens: 8 * nHeads);
        foreach (int nTok in new[] { 1, 2, 5, 8 })
        {
            var x = TestData.Random(nTok * nHeads * xStride, nTok + 3, 2f);
            var y = new float[nTok * nHeads * yStride];
            Assert.True(mm.TryRunPerHead(w, x, xStride, nTok, y, yStride));
            for (int h = 0; h < nHeads; h++)
            {
                var xh = new float[nTok * cols];
                for (int t = 0; t < nTok; t++) x.AsSpan((t * nHeads + h) * xStride, cols).CopyTo(xh.AsSpan(t * cols));
                var yh = new float[nTok * rows];
                mm.Run(w[h], xh, nTok, yh);
                for (int t = 0; t < nTok; t++)
                    for (int r = 0; r < rows; r++)
                        Assert.True(BitConverter.SingleToInt32Bits(yh[t * rows + r]) == BitConverter.SingleToInt32Bits(y[(t * nHeads + h) * yStride + r]),
                            $"{type} nTok={nTok} h={h} t={t} r={r}: per head {yh[t * rows + r]:R}, one dispatch {y[(t * nHeads + h) * yStride + r]:R}");
            }
        }
        GC.KeepAlive(heads);
    }

    // Deepseek2 packs a Q8_0/Q5_0 attn_k_b before splitting it into heads (the views share the packed rows): those heads
    // must give what the same heads in the file's layout give, for decode's one token and for prompt tiles.
    [Theory]
    [InlineData(QuantType.Q8_0, 64)]
    [InlineData(QuantType.Q5_0, 128)]
    public void Packed_heads_equal_the_heads_in_the_files_layout(QuantType type, int cols)
    {
        const int nHeads = 3, rows = 24, xPad = 5, yPad = 7;
        int xStride = cols + xPad, yStride = rows + yPad;
        var (packedStack, keepPacked) = TestData.Weight(type, nHeads * rows, cols, seed: 61);
        var (plainStack, keepPlain) = TestData.Weight(type, nHeads * rows, cols, seed: 61);
        bool packs = packedStack.PrepareForMatMul();
        Assert.Equal(KernelIsaSelection.Current >= KernelIsa.Avx2, packs);
        var packed = Enumerable.Range(0, nHeads).Select(h => packedStack.RowRange(h * rows, rows, $"p[{h}]", llamaRepacked: false)).ToArray();
        var plain = Enumerable.Range(0, nHeads).Select(h => plainStack.RowRange(h * rows, rows, $"f[{h}]", llamaRepacked: false)).ToArray();
        Assert.All(packed, h => Assert.Equal(packs, h.Packed is not null));
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool, cols, maxTokens: 8 * nHeads);
        foreach (int nTok in new[] { 1, 2, 5, 8 })
        {
            var x = TestData.Random(nTok * nHeads * xStride, nTok + 11, 2f);
            var expected = new float[nTok * nHeads * yStride];
            var actual = new float[nTok * nHeads * yStride];
            Assert.True(mm.TryRunPerHead(plain, x, xStride, nTok, expected, yStride));
            Assert.True(mm.TryRunPerHead(packed, x, xStride, nTok, actual, yStride));
            for (int i = 0; i < expected.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                    $"{type} nTok={nTok} at {i}: file layout {expected[i]:R}, packed {actual[i]:R}");
        }
        GC.KeepAlive(keepPacked);
        GC.KeepAlive(keepPlain);
    }

    [Fact]
    public void Float_weights_are_left_to_the_caller()
    {
        var (w, keep) = TestData.Weight(QuantType.F16, 4, 32, seed: 3);
        using var pool = new WorkerPool(1);
        var mm = new MatMul(pool, 32, 4);
        Assert.False(mm.TryRunPerHead([w, w], new float[2 * 2 * 32], 32, 2, new float[2 * 2 * 4], 4));
        GC.KeepAlive(keep);
    }
}
