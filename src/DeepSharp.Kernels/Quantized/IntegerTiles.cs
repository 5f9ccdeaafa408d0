using DeepSharp.Core.Quant;
using System.Runtime.Intrinsics;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Four consecutive rows against every token of a batch through the multi-row kernels (<see cref="TilesQ8_0"/>, <see cref="TilesQ6K"/>):
/// the same bits as <see cref="IntegerDot.Dot(KernelIsa, QuantType, ReadOnlySpan{byte}, in Int8Row)"/> row by row,
/// with each activation block loaded once per four rows and each weight block once per two or four tokens; and eight rows
/// against decode's one token (<see cref="DotOneToken8"/>).
/// </summary>
internal static class IntegerTiles
{
    /// <summary>Rows per tile.</summary>
    public const int Rows = 4;

    /// <summary>Whether <paramref name="weight"/> has a tile kernel on <paramref name="isa"/> (vec_dot-summed weights only).</summary>
    public static bool Supports(KernelIsa isa, QuantType weight, bool repacked) =>
        !repacked && isa >= KernelIsa.Avx2 && weight is QuantType.Q8_0 or QuantType.Q5_0 or QuantType.Q6_K;

    /// <summary>y [t·yStride + r0 + k] ← row r0 + k · token t, for k &lt; 4 and t &lt; <paramref name="nTok"/>.</summary>
    public static void Dot(QTensor w, long r0, Int8Activations act, int nTok, Span<float> y, int yStride) =>
        Dot(w, r0, new TokenRows(act, 0, 1), nTok, y, yStride);

    /// <summary>The same with token t's activations in row first + t·step of <paramref name="x"/> (per-head products).</summary>
    public static void Dot(QTensor w, long r0, TokenRows x, int nTok, Span<float> y, int yStride)
    {
        if (w.Type == QuantType.Q6_K) Q6K(w, r0, Rows, x, nTok, y, yStride);
        else if (w.Type == QuantType.Q5_0) Q8_0<TilesQ8_0.Q5_0Block>(w, r0, x, nTok, y, yStride);
        else Q8_0<TilesQ8_0.Q8_0Block>(w, r0, x, nTok, y, yStride);
    }

    /// <summary>Whether <see cref="DotOneToken8"/> serves <paramref name="weight"/> on <paramref name="isa"/>.</summary>
    public static bool SupportsOneToken8(KernelIsa isa, QuantType weight, bool repacked) =>
        !repacked && isa == KernelIsa.Avx512 && weight is QuantType.Q8_0 or QuantType.Q5_0;

    /// <summary>y [r0 + k] ← row r0 + k · token 0 of <paramref name="x"/>, for k &lt; 8 (decode's Q8_0/Q5_0 product).</summary>
    public static void DotOneToken8(QTensor w, long r0, TokenRows x, Span<float> y)
    {
        ref byte row0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(w.Row(r0));
        var y8 = y.Slice(checked((int)r0), 8);
        if (w.Type == QuantType.Q5_0) TilesQ8_0.Rows8<TilesQ8_0.Q5_0Block>(ref row0, (nint)w.RowBytes, x.Row(0), y8);
        else TilesQ8_0.Rows8<TilesQ8_0.Q8_0Block>(ref row0, (nint)w.RowBytes, x.Row(0), y8);
    }

    /// <summary>
    /// y [t·yStride + 8g + k] ← row 8g + k · token t of a packed Q8_0 or Q5_0 matrix (<see cref="Rows8Pack"/>), for
    /// groups [g0, g1) and k &lt; 8: decode's token through <see cref="TilesQ8_0.Rows8Packed"/>, more tokens through the
    /// 4-row tiles (each group's rows 0–3, then 4–7). Summed as the file's rows are: the same bits.
    /// </summary>
    public static void DotPacked(Rows8Pack p, int g0, int g1, TokenRows x, int nTok, Span<float> y, int yStride)
    {
        if (p.Type == QuantType.Q5_0) DotPacked<TilesQ8_0.PackedQ5_0Block>(p, g0, g1, x, nTok, y, yStride);
        else DotPacked<TilesQ8_0.PackedQ8_0Block>(p, g0, g1, x, nTok, y, yStride);
    }

    private static unsafe void DotPacked<TBlock>(Rows8Pack p, int g0, int g1, TokenRows x, int nTok, Span<float> y, int yStride)
        where TBlock : struct, TilesQ8_0.IBlock
    {
        if (nTok == 1 && p.Chunked)
        {
            DecodeChunked<TBlock>(p, g0, g1, x.Row(0), y);
            return;
        }
        for (int g = g0; g < g1; g++)
        {
            byte* group = p.Block(g, 0);
            if (nTok == 1)
            {
                TilesQ8_0.Rows8Packed<TBlock>(group, x.Row(0), y.Slice(8 * g, 8));
                continue;
            }
            nint chunkStride = p.Chunked ? (nint)p.ChunkStride(g) : 0;
            Q8_0<TBlock>(ref *group, 0, p.ChunkBlocks, chunkStride, 8 * g, p.Blocks, x, nTok, y, yStride);
            Q8_0<TBlock>(ref *group, 4, p.ChunkBlocks, chunkStride, 8 * g + 4, p.Blocks, x, nTok, y, yStride);
        }
    }

    // Decode's token against groups [g0, g1) of a chunked pack: per batch (or the part of one in the range), chunk by
    // chunk, each chunk of every group in turn — the order the pack lies in, so that the chunk's activations serve all
    // of them from L1 — with each group's 8 accumulators kept here between chunks.
    private static unsafe void DecodeChunked<TBlock>(Rows8Pack p, int g0, int g1, Int8Row x, Span<float> y)
        where TBlock : struct, TilesQ8_0.IBlock
    {
        var acc = stackalloc Vector256<float>[8 * Rows8Pack.BatchGroups];
        for (int w0 = g0; w0 < g1;)
        {
            int w1 = Rows8Pack.BatchEnd(w0, g1);
            new Span<Vector256<float>>(acc, 8 * (w1 - w0)).Clear();
            for (int c0 = 0; c0 < p.Blocks; c0 += p.ChunkBlocks)
            {
                bool last = c0 + p.ChunkBlocks == p.Blocks;
                for (int g = w0; g < w1; g++)
                    TilesQ8_0.Rows8PackedRange<TBlock>(p.Block(g, c0) - (long)c0 * TBlock.Bytes, x, c0, c0 + p.ChunkBlocks,
                        acc + 8 * (g - w0), last ? y.Slice(8 * g, 8) : default);
            }
            w0 = w1;
        }
    }

    private static void Q8_0<TBlock>(QTensor w, long r0, TokenRows x, int nTok, Span<float> y, int yStride)
        where TBlock : struct, TilesQ8_0.IBlock =>
        Q8_0<TBlock>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(w.Row(r0)), (nint)w.RowBytes, w.Cols / 32, 0,
            checked((int)r0), w.Cols / 32, x, nTok, y, yStride);

    // Q8_0 and Q5_0 (whose values unpack to the same signed bytes): 4 rows × 4, 2 or 1 tokens; rows at + k of y, the
    // tile's blocks from row0 as TBlock lays them out (stride: see TilesQ8_0.IBlock), in chunks of chunkBlocks
    // chunkStride bytes apart (a chunked Rows8Pack; else one chunk of every block).
    private static void Q8_0<TBlock>(ref byte row0, nint stride, int chunkBlocks, nint chunkStride, int at, int blocks, TokenRows x, int nTok,
        Span<float> y, int yStride) where TBlock : struct, TilesQ8_0.IBlock
    {
        int t = 0;
        if (KernelIsaSelection.Current == KernelIsa.Avx512 && nTok >= 4)
        {
            t = nTok / 4 * 4;
            TilesQ8_0.Rows4x4<TBlock>(ref row0, stride, chunkBlocks, chunkStride, x, t, blocks, y.Slice(at), yStride);
        }
        for (; t + 1 < nTok; t += 2)
            TilesQ8_0.Rows4x2<TBlock>(ref row0, stride, chunkBlocks, chunkStride, x.Row(t), x.Row(t + 1), y.Slice(t * yStride + at, Rows),
                y.Slice((t + 1) * yStride + at, Rows));
        if (t < nTok)
            TilesQ8_0.Rows4<TBlock>(ref row0, stride, chunkBlocks, chunkStride, x.Row(t), y.Slice(t * yStride + at, Rows));
    }

    /// <summary>
    /// Whether <see cref="DotRows"/> should serve <paramref name="weight"/> for <paramref name="nTok"/> tokens on
    /// <paramref name="isa"/>: decode's one token or a batched step's four against any number of Q6_K rows at once.
    /// Those counts read each row once; 2 or 3 tokens would take one pass over the whole range per token (the output
    /// projection at 3 tokens took 11.8 ms against 6.3 at 4), so they keep 4-row tiles, whose rows stay in L1.
    /// </summary>
    public static bool SupportsRows(KernelIsa isa, QuantType weight, bool repacked, int nTok) =>
        !repacked && isa >= KernelIsa.Avx2 && weight == QuantType.Q6_K && nTok is 1 or 4;

    /// <summary>y [t·yStride + r0 + k] ← row r0 + k · token t, for k &lt; <paramref name="rows"/>, t &lt; <paramref name="nTok"/>.</summary>
    public static void DotRows(QTensor w, long r0, int rows, TokenRows x, int nTok, Span<float> y, int yStride) =>
        Q6K(w, r0, rows, x, nTok, y, yStride);

    // Row by row (a Q6_K block is 210 bytes, enough to keep the prefetcher streaming), 4 tokens at a time; AVX-512
    // unpacks each block into 64-value vectors, a quarter of the multiply-adds per token. Each kernel call takes many
    // rows, and each token's row view is made once per call: the output projection's rows are only 6 blocks long, and
    // per-row set-up cost it a fifth of its time at 4 tokens (a quarter with AVX2).
    private static void Q6K(QTensor w, long r0, int rows, TokenRows x, int nTok, Span<float> y, int yStride)
    {
        bool wide = KernelIsaSelection.Current == KernelIsa.Avx512;
        ref byte row0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(w.Row(r0));
        nint stride = (nint)w.RowBytes;
        int at = checked((int)r0), t = 0;
        for (; t + 3 < nTok; t += 4)
        {
            Int8Row x0 = x.Row(t), x1 = x.Row(t + 1), x2 = x.Row(t + 2), x3 = x.Row(t + 3);
            var yt = y[(t * yStride + at)..];
            if (wide) TilesQ6KAvx512.RowsX4(ref row0, stride, rows, x0, x1, x2, x3, yt, yStride);
            else TilesQ6K.RowsX4(ref row0, stride, rows, x0, x1, x2, x3, yt, yStride);
        }
        for (; t < nTok; t++)
        {
            var xt = x.Row(t);
            var yt = y.Slice(t * yStride + at, rows);
            if (wide) TilesQ6KAvx512.Rows(ref row0, stride, rows, xt, yt);
            else TilesQ6K.Rows(ref row0, stride, rows, xt, yt);
        }
    }
}

/// <summary>Token t's quantized activations: row first + t·step of an <see cref="Int8Activations"/>.</summary>
internal readonly struct TokenRows(Int8Activations act, int first, int step)
{
    public Int8Row Row(int t) => act.Row(first + t * step);

    /// <summary>Token t's first quant and first block scale, unchecked (t below the tokens quantized).</summary>
    public ref sbyte QuantsAt(int t) => ref act.QuantsAt(first + t * step);
    public ref float ScalesAt(int t) => ref act.ScalesAt(first + t * step);
}
