using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// The 8-row packed layout and its kernels (AVX2 and AVX-512, every tile size of 1–4 tokens and their tails)
/// against the scalar per-row reference of llama.cpp's repacked sums, bit for bit; and a packed matrix product
/// through <see cref="MatMul"/> against the same reference.
/// </summary>
public sealed class PackedRows8Tests
{
    private static (Int8Activations Act, PackedActivations Sums) Activations(QuantType type, int tokens, int cols)
    {
        var x = TestData.Random(tokens * cols, cols + 11, 3f);
        for (int i = 0; i < cols; i++) x[cols + i] *= 1e-3f;                 // a token of small activations
        x.AsSpan(2 * cols, Math.Min(32, cols)).Clear();                       // a zero block
        x.AsSpan(3 * cols, cols).Fill(1f);                                     // every quant at ±127: int16 sums near their limit
        var act = new Int8Activations(tokens, cols);
        act.Quantize(ActivationRounding.PartnerOf(type), x, tokens, cols);
        var sums = new PackedActivations(tokens, cols);
        sums.Prepare(type, act, tokens, cols);
        return (act, sums);
    }

    private static Rows8Pack Pack(QTensor w) =>
        Rows8Pack.Build(w.Type, w.Cols, w.Rows, w.RowBytes, (first, dst) =>
        {
            for (int r = 0; r < dst.Length / w.RowBytes; r++) w.Row(first + r).CopyTo(dst[(int)(r * w.RowBytes)..]);
        });

    [Theory]
    [InlineData(QuantType.Q4_0, 32)]
    [InlineData(QuantType.Q4_0, 96)]
    [InlineData(QuantType.Q4_0, 544)]
    [InlineData(QuantType.Q4_K, 256)]
    [InlineData(QuantType.Q4_K, 768)]
    [InlineData(QuantType.Q4_K, 1280)]
    public void Packed_kernels_equal_the_scalar_per_row_reference(QuantType type, int cols)
    {
        const int rows = 24, tokens = 7;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: 5 * cols + (int)type);
        var pack = Pack(w);
        var (act, sums) = Activations(type, tokens, cols);
        foreach (var isa in new[] { KernelIsa.Avx2, KernelIsa.Avx512 }.Where(KernelIsaSelection.IsSupported))
            foreach (int nTok in new[] { 1, 2, 3, 4, 5, 7 })
                foreach (var (g0, g1) in new[] { (0, 3), (1, 2) })
                {
                    var y = new float[nTok * rows];
                    PackedRows8.Run(isa, pack, g0, g1, act, sums, nTok, y, rows);
                    for (int t = 0; t < nTok; t++)
                        for (int r = 8 * g0; r < 8 * g1; r++)
                            AssertSameBits(IntegerDot.DotRepacked(KernelIsa.Scalar, type, w.Row(r), act.Row(t)), y[t * rows + r],
                                $"{type} cols={cols} {isa} nTok={nTok} t={t} r={r}");
                }
        GC.KeepAlive(keep);
    }

    [Theory]
    [InlineData(QuantType.Q4_0, 64)]
    [InlineData(QuantType.Q4_K, 512)]
    public void A_prepared_tensor_multiplies_as_the_scalar_reference(QuantType type, int cols)
    {
        const int rows = 40, tokens = 6;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: cols + 3);
        bool packed = w.PrepareForMatMul();
        Assert.Equal(KernelIsaSelection.Current >= KernelIsa.Avx2, packed);
        var x = TestData.Random(tokens * cols, 17, 2f);
        var (act, _) = Activations(type, tokens, cols);
        act.Quantize(ActivationRounding.PartnerOf(type), x, tokens, cols);
        using var pool = new Threading.WorkerPool(2);
        var mm = new MatMul(pool, cols, tokens);
        foreach (int nTok in new[] { 1, tokens })
        {
            var y = new float[nTok * rows];
            mm.Run(w, x, nTok, y);
            for (int t = 0; t < nTok; t++)
                for (int r = 0; r < rows; r++)
                    AssertSameBits(IntegerDot.DotRepacked(KernelIsa.Scalar, type, w.Row(r), act.Row(t)), y[t * rows + r],
                        $"{type} nTok={nTok} t={t} r={r}");
        }
        GC.KeepAlive(keep);
    }

    [Theory]
    [InlineData(QuantType.Q4_0, 64)]
    [InlineData(QuantType.Q4_K, 256)]
    public void Views_of_a_prepared_stacked_tensor_share_its_packed_rows(QuantType type, int cols)
    {
        const int experts = 3, rowsPerExpert = 16, tokens = 4;
        var (stacked, keep) = TestData.Weight(type, experts * rowsPerExpert, cols, seed: 2 * cols + 1);
        bool packed = stacked.PrepareForMatMul();
        var x = TestData.Random(tokens * cols, 23, 2f);
        var (act, _) = Activations(type, tokens, cols);
        act.Quantize(ActivationRounding.PartnerOf(type), x, tokens, cols);
        using var pool = new Threading.WorkerPool(2);
        var mm = new MatMul(pool, cols, tokens);
        for (int e = 0; e < experts; e++)
        {
            var view = stacked.RowRange((long)e * rowsPerExpert, rowsPerExpert, $"expert {e}");
            Assert.Equal(packed, view.Packed is not null);
            if (packed) Assert.Equal(rowsPerExpert / 8, view.Packed!.Groups);
            var y = new float[tokens * rowsPerExpert];
            mm.Run(view, x, tokens, y);
            for (int t = 0; t < tokens; t++)
                for (int r = 0; r < rowsPerExpert; r++)
                    AssertSameBits(IntegerDot.DotRepacked(KernelIsa.Scalar, type, stacked.Row(e * rowsPerExpert + r), act.Row(t)),
                        y[t * rowsPerExpert + r], $"{type} expert {e} t={t} r={r}");
        }
        // A view that does not start on a group boundary keeps the row-by-row path.
        Assert.Null(stacked.RowRange(4, 8, "unaligned").Packed);
        GC.KeepAlive(keep);
    }

    private static void AssertSameBits(float expected, float actual, string what) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
            $"{what}: scalar {expected:R}, got {actual:R}");
}
