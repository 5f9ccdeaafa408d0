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

    private static Rows8Pack? Pack(QTensor w) =>
        Rows8Pack.Build(w.Type, w.Cols, w.Rows, w.RowBytes, (first, dst) =>
        {
            for (int r = 0; r < dst.Length / w.RowBytes; r++) w.Row(first + r).CopyTo(dst[(int)(r * w.RowBytes)..]);
        });

    // Q4_0 scales at the edges of f16 (subnormals, zeros, the largest magnitudes), planted in blocks of w.
    private static readonly ushort[] EdgeScales = [0x0001, 0x03FF, 0x8001, 0x0000, 0x8000, 0x0400, 0x7BFF, 0xFBFF, 0x3C00, 0xBC00];

    // Q4_K blocks with edge d and dmin and random 6-bit scale bytes (every byte value is a valid packing), so that the
    // packing meets every top-bit pattern.
    private static void PlantQ4KScales(QTensor w, byte[] bytes)
    {
        var rng = new Random(11);
        int blocks = w.Cols / 256, i = 0;
        for (int r = 0; r < w.Rows; r++)
            for (int b = r % 2; b < blocks; b += 2, i++)
            {
                int at = (int)(r * w.RowBytes) + 144 * b;
                BitConverter.TryWriteBytes(bytes.AsSpan(at, 2), EdgeScales[i % EdgeScales.Length]);
                BitConverter.TryWriteBytes(bytes.AsSpan(at + 2, 2), EdgeScales[(i + 3) % EdgeScales.Length]);
                rng.NextBytes(bytes.AsSpan(at + 4, 12));
            }
    }

    private static void PlantQ4_0Scales(QTensor w, byte[] bytes)
    {
        int blocks = w.Cols / 32, i = 0;
        for (int r = 0; r < w.Rows; r += 3)
            for (int b = r % blocks; b < blocks; b += 2, i++)
                BitConverter.TryWriteBytes(bytes.AsSpan((int)(r * w.RowBytes) + 18 * b, 2), EdgeScales[i % EdgeScales.Length]);
    }

    // Rows over 2048 values are packed chunk-major (Q4_0 3072 and 8960: chunks of 48 and 56 blocks; Q4_K: 6 and 7); 136
    // rows are two whole batches of 8 groups and a short one, and the group ranges start and end inside batches too.
    [Theory]
    [InlineData(QuantType.Q4_0, 32, 24)]
    [InlineData(QuantType.Q4_0, 96, 24)]
    [InlineData(QuantType.Q4_0, 544, 24)]
    [InlineData(QuantType.Q4_0, 3072, 136)]
    [InlineData(QuantType.Q4_0, 8960, 24)]
    [InlineData(QuantType.Q4_K, 256, 24)]
    [InlineData(QuantType.Q4_K, 768, 24)]
    [InlineData(QuantType.Q4_K, 1280, 24)]
    [InlineData(QuantType.Q4_K, 3072, 136)]
    [InlineData(QuantType.Q4_K, 8960, 24)]
    public void Packed_kernels_equal_the_scalar_per_row_reference(QuantType type, int cols, int rows)
    {
        const int tokens = 7;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: 5 * cols + (int)type);
        if (type == QuantType.Q4_0) PlantQ4_0Scales(w, keep);
        else PlantQ4KScales(w, keep);
        var pack = Pack(w)!;
        Assert.Equal(cols > 2048, pack.Chunked);
        var (act, sums) = Activations(type, tokens, cols);
        int groups = rows / 8;
        foreach (var isa in new[] { KernelIsa.Avx2, KernelIsa.Avx512 }.Where(KernelIsaSelection.IsSupported))
            foreach (int nTok in new[] { 1, 2, 3, 4, 5, 7 })
                foreach (var (g0, g1) in new[] { (0, groups), (1, groups - 1), (groups / 3, 2 * groups / 3 + 1) })
                {
                    var y = new float[nTok * rows];
                    PackedRows8.Run(isa, pack, g0, g1, act, sums, nTok, y, rows);
                    for (int t = 0; t < nTok; t++)
                        for (int r = 8 * g0; r < 8 * g1; r++)
                            TestData.AssertSameBits(IntegerDot.DotRepacked(KernelIsa.Scalar, type, w.Row(r), act.Row(t)), y[t * rows + r],
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
        if (type == QuantType.Q4_0) PlantQ4_0Scales(w, keep);
        else PlantQ4KScales(w, keep);
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
                    TestData.AssertSameBits(IntegerDot.DotRepacked(KernelIsa.Scalar, type, w.Row(r), act.Row(t)), y[t * rows + r],
                        $"{type} nTok={nTok} t={t} r={r}");
        }
        GC.KeepAlive(keep);
    }

    // Of a chunked pack (3072 columns) a view shares whole batches of 8 groups only (64 rows): experts of 16 rows there
    // keep the row-by-row path.
    [Theory]
    [InlineData(QuantType.Q4_0, 64, 16)]
    [InlineData(QuantType.Q4_K, 256, 16)]
    [InlineData(QuantType.Q4_0, 3072, 64)]
    [InlineData(QuantType.Q4_0, 3072, 16)]
    [InlineData(QuantType.Q4_K, 3072, 64)]
    public void Views_of_a_prepared_stacked_tensor_share_its_packed_rows(QuantType type, int cols, int rowsPerExpert)
    {
        const int experts = 3, tokens = 4;
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
            bool shares = packed && (cols <= 2048 || rowsPerExpert % 64 == 0);
            Assert.Equal(shares, view.Packed is not null);
            if (shares) Assert.Equal(rowsPerExpert / 8, view.Packed!.Groups);
            var y = new float[tokens * rowsPerExpert];
            mm.Run(view, x, tokens, y);
            for (int t = 0; t < tokens; t++)
                for (int r = 0; r < rowsPerExpert; r++)
                    TestData.AssertSameBits(IntegerDot.DotRepacked(KernelIsa.Scalar, type, stacked.Row(e * rowsPerExpert + r), act.Row(t)),
                        y[t * rowsPerExpert + r], $"{type} expert {e} t={t} r={r}");
        }
        // A view that does not start on a group boundary keeps the row-by-row path.
        Assert.Null(stacked.RowRange(4, 8, "unaligned").Packed);
        GC.KeepAlive(keep);
    }

    // Decode streams the packed copy every token: it holds exactly the file's bytes, and each Q4_K block starts a cache
    // line, so the quants' 64-byte loads never straddle two.
    [Theory]
    [InlineData(QuantType.Q4_0, 96)]
    [InlineData(QuantType.Q4_K, 768)]
    [InlineData(QuantType.Q8_0, 96)]
    [InlineData(QuantType.Q5_0, 96)]
    public unsafe void A_packed_matrix_is_the_file_size_and_its_Q4_K_blocks_start_cache_lines(QuantType type, int cols)
    {
        const int rows = 16;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: 3);
        var pack = Pack(w)!;
        Assert.Equal(rows * w.RowBytes, pack.ByteLength);
        if (type == QuantType.Q4_K)
            for (int g = 0; g < pack.Groups; g++)
                for (int b = 0; b < pack.Blocks; b++)
                    Assert.Equal(0, (long)pack.Block(g, b) % 64);
        GC.KeepAlive(keep);
    }

    // Row 9, block 1: Q4_0's scale +inf; Q4_K's d +inf, or its dmin NaN (the packed kernels widen both as finite f16).
    [Theory]
    [InlineData(QuantType.Q4_0, 64, 18, (ushort)0x7C00)]
    [InlineData(QuantType.Q4_K, 512, 144, (ushort)0x7C00)]
    [InlineData(QuantType.Q4_K, 512, 146, (ushort)0x7E00)]
    public void A_matrix_with_a_non_finite_scale_keeps_the_file_layout(QuantType type, int cols, int offset, ushort bits)
    {
        const int rows = 16;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: 7);
        BitConverter.TryWriteBytes(keep.AsSpan((int)(9 * w.RowBytes) + offset, 2), bits);
        Assert.Null(Pack(w));
        Assert.False(w.PrepareForMatMul());
        var act = new Int8Activations(1, cols);
        using var pool = new Threading.WorkerPool(2);
        var mm = new MatMul(pool, cols, 1);
        var x = TestData.Random(cols, 29, 2f);
        act.Quantize(ActivationRounding.PartnerOf(type), x, 1, cols);
        var y = new float[rows];
        mm.Run(w, x, 1, y);
        TestData.AssertSameBitsExceptNonFinite(r => IntegerDot.DotRepacked(KernelIsa.Scalar, type, w.Row(r), act.Row(0)), y, nonFiniteRow: 9);
        GC.KeepAlive(keep);
    }
}
