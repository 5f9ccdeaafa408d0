using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// Q8_0 and Q5_0 matrices (vec_dot's sums) packed 8 rows to a group (<see cref="Rows8Pack"/>, on AVX2 and AVX-512): products through <see cref="MatMul"/>
/// for decode's one token and for 2–13 tokens (the 4-row tiles over each half group, 8 and 4 tokens at a time, and
/// their 2- and 1-token tails)
/// against the scalar vec_dot reference row by row, bit for bit, with scales at the edges of f16; views of a packed
/// stacked tensor; and a matrix with an infinite scale, or a Q8_0 quant of −128, which keeps the file's layout.
/// </summary>
public sealed class PackedVecDotTests
{
    private static readonly bool Packs = KernelIsaSelection.Current >= KernelIsa.Avx2;

    // Scales at the edges of f16 (subnormals, zeros, the largest magnitudes) in some blocks of w.
    private static readonly ushort[] EdgeScales = [0x0001, 0x03FF, 0x8001, 0x0000, 0x8000, 0x0400, 0x7BFF, 0xFBFF, 0x3C00, 0xBC00];

    private static void PlantScales(QTensor w, byte[] bytes)
    {
        int blocks = w.Cols / 32, i = 0;
        for (int r = 0; r < w.Rows; r += 3)
            for (int b = r % blocks; b < blocks; b += 2, i++)
                BitConverter.TryWriteBytes(bytes.AsSpan((int)(r * w.RowBytes) + BlockBytes(w.Type) * b, 2), EdgeScales[i % EdgeScales.Length]);
    }

    private static int BlockBytes(QuantType type) => type == QuantType.Q5_0 ? 22 : 34;

    private static (float[] X, Int8Activations Act) Activations(int tokens, int cols, int seed)
    {
        var x = TestData.Random(tokens * cols, seed, 3f);
        for (int i = 0; i < cols; i++) x[cols + i] *= 1e-3f;                 // a token of small activations
        x.AsSpan(2 * cols, Math.Min(32, cols)).Clear();                       // a zero block
        var act = new Int8Activations(tokens, cols);
        act.Quantize(ActivationRounding.PartnerOf(QuantType.Q8_0), x, tokens, cols);
        return (x, act);
    }

    // Rows of 96 and 280 blocks are packed chunk-major (Rows8Pack.Chunked: chunks of 48 and 56 blocks); 136 rows are
    // two whole batches of 8 groups and a short one, so both threads' ranges start and end inside batches.
    [Theory]
    [InlineData(QuantType.Q8_0, 32, 40)]
    [InlineData(QuantType.Q8_0, 96, 40)]
    [InlineData(QuantType.Q8_0, 544, 40)]
    [InlineData(QuantType.Q8_0, 3072, 136)]
    [InlineData(QuantType.Q8_0, 8960, 24)]
    [InlineData(QuantType.Q5_0, 32, 40)]
    [InlineData(QuantType.Q5_0, 96, 40)]
    [InlineData(QuantType.Q5_0, 544, 40)]
    [InlineData(QuantType.Q5_0, 3072, 136)]
    public void A_prepared_matrix_multiplies_as_the_scalar_reference(QuantType type, int cols, int rows)
    {
        const int tokens = 13;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: cols + 13 + (int)type);
        PlantScales(w, keep);
        Assert.Equal(Packs, w.PrepareForMatMul());
        if (Packs) Assert.Equal(rows / 8, w.Packed!.Groups);
        if (Packs) Assert.Equal(cols > 64 * 32, w.Packed!.Chunked);
        var (x, act) = Activations(tokens, cols, seed: cols);
        using var pool = new Threading.WorkerPool(2);
        var mm = new MatMul(pool, cols, tokens);
        for (int nTok = 1; nTok <= tokens; nTok++)
        {
            var y = new float[nTok * rows];
            mm.Run(w, x, nTok, y);
            for (int t = 0; t < nTok; t++)
                for (int r = 0; r < rows; r++)
                    TestData.AssertSameBits(IntegerDot.Dot(KernelIsa.Scalar, type, w.Row(r), act.Row(t)), y[t * rows + r],
                        $"{type} cols={cols} nTok={nTok} t={t} r={r}");
        }
        GC.KeepAlive(keep);
    }

    // The unsigned-pair Q5_0 decode kernel (PackedQ5_0Avx512) called directly wherever AVX-512 VBMI runs, so that a host
    // with AVX-VNNI, whose decode takes the biased dpbusd form instead, still checks it: plain packs whole, and a chunked
    // one (3072 columns: chunks of 48 blocks) chunk by chunk through the accumulators, as IntegerTiles.DecodeChunked calls it.
    [Theory]
    [InlineData(32)]
    [InlineData(544)]
    [InlineData(3072)]
    public unsafe void The_unsigned_pair_Q5_0_decode_kernel_sums_as_the_scalar_reference(int cols)
    {
        if (!IntegerDotAvx2.FifthBitsByMultiShift) return;   // no AVX-512 VBMI here, or a narrower path forced
        const int rows = 24;
        var (w, keep) = TestData.Weight(QuantType.Q5_0, rows, cols, seed: cols + 61);
        PlantScales(w, keep);
        Assert.True(w.PrepareForMatMul());
        var p = w.Packed!;
        var (_, act) = Activations(3, cols, seed: cols + 67);
        var acc = stackalloc System.Runtime.Intrinsics.Vector256<float>[8];
        for (int t = 0; t < 3; t++)
            for (int g = 0; g < p.Groups; g++)
            {
                var y = new float[8];
                for (int c0 = 0; c0 < p.Blocks; c0 += p.ChunkBlocks)
                {
                    if (c0 == 0) new Span<System.Runtime.Intrinsics.Vector256<float>>(acc, 8).Clear();
                    bool last = c0 + p.ChunkBlocks == p.Blocks;
                    PackedQ5_0Avx512.Rows8Range(p.Block(g, c0) - (long)c0 * Rows8Pack.Q5_0BlockBytes, act.Row(t), c0, c0 + p.ChunkBlocks,
                        acc, last ? y : default);
                }
                for (int k = 0; k < 8; k++)
                    TestData.AssertSameBits(IntegerDot.Dot(KernelIsa.Scalar, QuantType.Q5_0, w.Row(8 * g + k), act.Row(t)), y[k],
                        $"cols={cols} t={t} row={8 * g + k}");
            }
        GC.KeepAlive(keep);
    }

    // Of a chunked pack (3072 columns) a view shares whole batches of 8 groups only (64 rows); experts of 16 rows there
    // keep the file's layout, and every view multiplies as the reference either way.
    [Theory]
    [InlineData(QuantType.Q8_0, 64, 16)]
    [InlineData(QuantType.Q5_0, 64, 16)]
    [InlineData(QuantType.Q8_0, 3072, 64)]
    [InlineData(QuantType.Q8_0, 3072, 16)]
    public void Views_of_a_prepared_stacked_tensor_share_its_packed_rows(QuantType type, int cols, int rowsPerExpert)
    {
        const int experts = 3, tokens = 5;
        var (stacked, keep) = TestData.Weight(type, experts * rowsPerExpert, cols, seed: 31);
        Assert.Equal(Packs, stacked.PrepareForMatMul());
        var (x, act) = Activations(tokens, cols, seed: 37);
        using var pool = new Threading.WorkerPool(2);
        var mm = new MatMul(pool, cols, tokens);
        for (int e = 0; e < experts; e++)
        {
            var view = stacked.RowRange((long)e * rowsPerExpert, rowsPerExpert, $"expert {e}");
            Assert.Equal(Packs && (cols <= 64 * 32 || rowsPerExpert % 64 == 0), view.Packed is not null);
            foreach (int nTok in new[] { 1, tokens })
            {
                var y = new float[nTok * rowsPerExpert];
                mm.Run(view, x, nTok, y);
                for (int t = 0; t < nTok; t++)
                    for (int r = 0; r < rowsPerExpert; r++)
                        TestData.AssertSameBits(IntegerDot.Dot(KernelIsa.Scalar, type, stacked.Row(e * rowsPerExpert + r), act.Row(t)),
                            y[t * rowsPerExpert + r], $"{type} expert {e} nTok={nTok} t={t} r={r}");
            }
        }
        GC.KeepAlive(keep);
    }

    [Theory]
    [InlineData(QuantType.Q8_0)]
    [InlineData(QuantType.Q5_0)]
    public void A_matrix_with_an_infinite_scale_keeps_the_file_layout(QuantType type)
    {
        const int rows = 16, cols = 64;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: 41);
        BitConverter.TryWriteBytes(keep.AsSpan((int)(9 * w.RowBytes) + BlockBytes(type), 2), (ushort)0x7C00);   // +inf in row 9, block 1
        Assert.False(w.PrepareForMatMul());
        var (x, act) = Activations(4, cols, seed: 43);
        using var pool = new Threading.WorkerPool(2);
        var mm = new MatMul(pool, cols, 4);
        var y = new float[rows];
        mm.Run(w, x, 1, y);
        TestData.AssertSameBitsExceptNonFinite(r => IntegerDot.Dot(KernelIsa.Scalar, type, w.Row(r), act.Row(0)), y, nonFiniteRow: 9);
        GC.KeepAlive(keep);
    }

    [Fact]
    public void A_Q8_0_matrix_with_a_quant_of_minus_128_keeps_the_file_layout()
    {
        const int rows = 16, cols = 64;
        var (w, keep) = TestData.Weight(QuantType.Q8_0, rows, cols, seed: 53);
        keep[(int)(5 * w.RowBytes) + 34 + 2 + 7] = 0x80;   // row 5, block 1, value 7: −128, which the packed sign step cannot negate
        Assert.False(w.PrepareForMatMul());
        var (x, act) = Activations(4, cols, seed: 59);
        using var pool = new Threading.WorkerPool(2);
        var mm = new MatMul(pool, cols, 4);
        for (int nTok = 1; nTok <= 4; nTok += 3)
        {
            var y = new float[nTok * rows];
            mm.Run(w, x, nTok, y);
            for (int t = 0; t < nTok; t++)
                for (int r = 0; r < rows; r++)
                    TestData.AssertSameBits(IntegerDot.Dot(KernelIsa.Scalar, QuantType.Q8_0, w.Row(r), act.Row(t)), y[t * rows + r], $"nTok={nTok} t={t} r={r}");
        }
        GC.KeepAlive(keep);
    }

    [Fact]
    public unsafe void Product_memory_is_the_packed_copy_where_there_is_one_else_the_stored_rows()
    {
        const int rows = 16, cols = 64;
        var (w, keep) = TestData.Weight(QuantType.Q8_0, rows, cols, seed: 47);
        fixed (byte* stored = w.Row(0))
        {
            Assert.Equal(((nint)stored, rows * w.RowBytes), w.ProductMemory);
            w.PrepareForMatMul();
            var (address, length) = w.ProductMemory;
            Assert.Equal(rows * w.RowBytes, length);   // packed at the file's size
            Assert.Equal(Packs, address != (nint)stored);
            if (Packs) Assert.Equal((nint)w.Packed!.Block(0, 0), address);
        }
        GC.KeepAlive(keep);
    }

    [Fact]
    public unsafe void A_chunked_pack_holds_every_block_of_the_file_once_and_slices_by_whole_batches()
    {
        const int rows = 136, cols = 3072, blocks = cols / 32;
        var (w, keep) = TestData.Weight(QuantType.Q8_0, rows, cols, seed: 3);
        PlantScales(w, keep);
        var pack = Rows8Pack.Build(QuantType.Q8_0, cols, rows, w.RowBytes,
            (r0, dst) => { for (int i = 0; i < dst.Length / (int)w.RowBytes; i++) w.Row(r0 + i).CopyTo(dst.Slice(i * (int)w.RowBytes)); })!;
        Assert.True(pack.Chunked);
        Assert.Equal(48, pack.ChunkBlocks);
        var seen = new HashSet<long>();
        for (int g = 0; g < pack.Groups; g++)
            for (int b = 0; b < blocks; b++)
            {
                byte* blk = pack.Block(g, b);
                long at = blk - pack.Block(0, 0);
                Assert.InRange(at, 0, pack.ByteLength - Rows8Pack.Q8_0BlockBytes);
                Assert.True(seen.Add(at), $"group {g} block {b} shares its place");
                for (int r = 0; r < 8; r++)
                {
                    var file = w.Row(8 * g + r).Slice(34 * b, 34);
                    Assert.True(file[..2].SequenceEqual(new ReadOnlySpan<byte>(blk + Rows8Pack.DOffset + 2 * r, 2)), $"g={g} b={b} r={r} scale");
                    Assert.True(file[2..].SequenceEqual(new ReadOnlySpan<byte>(blk + Rows8Pack.Q8_0QuantsOffset + 32 * r, 32)), $"g={g} b={b} r={r} quants");
                }
            }
        var second = pack.Slice(8, 8);
        var last = pack.Slice(16, 1);
        for (int b = 0; b < blocks; b++)
        {
            Assert.True(second.Block(3, b) == pack.Block(11, b));
            Assert.True(last.Block(0, b) == pack.Block(16, b));
        }
        Assert.Throws<ArgumentException>(() => pack.Slice(4, 8));
        Assert.Throws<ArgumentException>(() => pack.Slice(0, 4));
        GC.KeepAlive(keep);
    }
}
