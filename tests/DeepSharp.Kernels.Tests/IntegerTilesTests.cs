using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// The multi-row kernels against the scalar per-row reference, bit for bit: every token count up to 13 (the 8- and
/// 4-token tiles, pairs and the odd last token), block counts with and without tails, small and zero activation blocks.
/// </summary>
public sealed class IntegerTilesTests
{
    public static TheoryData<QuantType, int> Cases()
    {
        var data = new TheoryData<QuantType, int>();
        foreach (int blocks in new[] { 1, 2, 3, 7, 16, 17 })
        {
            data.Add(QuantType.Q8_0, 32 * blocks);
            data.Add(QuantType.Q5_0, 32 * blocks);
        }
        foreach (int blocks in new[] { 1, 2, 3, 6 })
            data.Add(QuantType.Q6_K, 256 * blocks);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Four_rows_by_every_token_count_equal_the_scalar_reference(QuantType type, int cols)
    {
        if (!IntegerTiles.Supports(KernelIsaSelection.Best, type, repacked: false)) return;
        const int rows = 8, tokens = 13;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: 11 * cols + (int)type);
        var x = TestData.Random(tokens * cols, cols + 5, 3f);
        for (int i = 0; i < cols; i++) x[cols + i] *= 1e-3f;
        x.AsSpan(2 * cols, 32).Clear();
        var act = new Int8Activations(tokens, cols);
        act.Quantize(ActivationRounding.PartnerOf(type), x, tokens, cols);
        for (int nTok = 1; nTok <= tokens; nTok++)
        {
            var y = new float[nTok * rows];
            for (int r0 = 0; r0 < rows; r0 += IntegerTiles.Rows) IntegerTiles.Dot(w, r0, act, nTok, y, rows);
            for (int t = 0; t < nTok; t++)
                for (int r = 0; r < rows; r++)
                {
                    float expected = IntegerDot.Dot(KernelIsa.Scalar, type, w.Row(r), act.Row(t));
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[t * rows + r]),
                        $"{type} cols={cols} nTok={nTok} t={t} r={r}: scalar {expected:R}, tile {y[t * rows + r]:R}");
                }
        }
        GC.KeepAlive(keep);
    }

    // Q8_0 quants at −128 and ±127 against activations at ±127, token counts through the 4-token tiles: the
    // AVX-512 tile's byte products (|w|·(x·sign w), two to an int16) reach 2·128·127 here, the most they can.
    [Fact]
    public void Extreme_Q8_0_values_equal_the_scalar_reference()
    {
        const int rows = 8, cols = 96, tokens = 8;
        var (w, keep) = TestData.Weight(QuantType.Q8_0, rows, cols, seed: 5);
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < cols / 32; b++)
                for (int i = 0; i < 32; i++)
                    keep[r * (int)w.RowBytes + 34 * b + 2 + i] = unchecked((byte)(((i + r + b) % 3) switch { 0 => -128, 1 => 127, _ => -127 }));
        var x = new float[tokens * cols];
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < cols; i++) x[t * cols + i] = ((i / 4 + t) % 2 == 0 ? 1f : -1f) * (1 + t);
        var act = new Int8Activations(tokens, cols);
        act.Quantize(ActivationRounding.PartnerOf(QuantType.Q8_0), x, tokens, cols);
        var y = new float[tokens * rows];
        for (int r0 = 0; r0 < rows; r0 += IntegerTiles.Rows) IntegerTiles.Dot(w, r0, act, tokens, y, rows);
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < rows; r++)
                TestData.AssertSameBits(IntegerDot.Dot(KernelIsa.Scalar, QuantType.Q8_0, w.Row(r), act.Row(t)), y[t * rows + r], $"t={t} r={r}");
        GC.KeepAlive(keep);
    }

    [Theory]
    [InlineData(QuantType.Q8_0, 32)]
    [InlineData(QuantType.Q8_0, 96)]
    [InlineData(QuantType.Q8_0, 896)]
    [InlineData(QuantType.Q5_0, 32)]
    [InlineData(QuantType.Q5_0, 544)]
    public void Eight_rows_of_one_token_equal_the_scalar_reference(QuantType type, int cols)
    {
        if (!IntegerTiles.SupportsOneToken8(KernelIsaSelection.Best, type, repacked: false)) return;
        const int rows = 16;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: 7 * cols + (int)type);
        var x = TestData.Random(cols, cols + 3, 2f);
        x.AsSpan(0, 32).Clear();
        var act = new Int8Activations(1, cols);
        act.Quantize(ActivationRounding.PartnerOf(type), x, 1, cols);
        var y = new float[rows];
        IntegerTiles.DotOneToken8(w, 0, new TokenRows(act, 0, 1), y);
        IntegerTiles.DotOneToken8(w, 8, new TokenRows(act, 0, 1), y);
        for (int r = 0; r < rows; r++)
        {
            float expected = IntegerDot.Dot(KernelIsa.Scalar, type, w.Row(r), act.Row(0));
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[r]),
                $"{type} cols={cols} r={r}: scalar {expected:R}, 8-row kernel {y[r]:R}");
        }
        GC.KeepAlive(keep);
    }

    [Theory]
    [InlineData(256)]
    [InlineData(768)]
    [InlineData(1536)]
    public void Any_run_of_q6k_rows_by_up_to_four_tokens_equals_the_scalar_reference(int cols)
    {
        if (!IntegerTiles.SupportsRows(KernelIsaSelection.Best, QuantType.Q6_K, repacked: false, nTok: 4)) return;
        const int rows = 11, tokens = 4;
        var (w, keep) = TestData.Weight(QuantType.Q6_K, rows, cols, seed: 5 * cols);
        var x = TestData.Random(tokens * cols, cols + 9, 2.5f);
        x.AsSpan(cols, 32).Clear();
        var act = new Int8Activations(tokens, cols);
        act.Quantize(ActivationRounding.PartnerOf(QuantType.Q6_K), x, tokens, cols);
        for (int nTok = 1; nTok <= tokens; nTok++)
            foreach (var (r0, count) in new[] { (0, rows), (3, 1), (2, 7), (10, 1) })
            {
                var y = new float[nTok * rows];
                IntegerTiles.DotRows(w, r0, count, new TokenRows(act, 0, 1), nTok, y, rows);
                for (int t = 0; t < nTok; t++)
                    for (int r = 0; r < rows; r++)
                    {
                        float expected = r >= r0 && r < r0 + count ? IntegerDot.Dot(KernelIsa.Scalar, QuantType.Q6_K, w.Row(r), act.Row(t)) : 0f;
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[t * rows + r]),
                            $"cols={cols} nTok={nTok} rows [{r0}, {r0 + count}) t={t} r={r}: expected {expected:R}, got {y[t * rows + r]:R}");
                    }
            }
        GC.KeepAlive(keep);
    }
}
