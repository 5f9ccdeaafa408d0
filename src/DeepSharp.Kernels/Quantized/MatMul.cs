using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// W [rows, cols] (any stored type) · X [nTok, cols]ᵀ → Y [nTok, rows]. This is where inference time goes.
/// Each weight row is decoded once into a per-worker scratch row and dotted with every token of the batch, so
/// the (memory-mapped) weights are streamed once per batch, never dequantized whole. Rows are split over the
/// persistent <see cref="WorkerPool"/>; one instance serves a session and allocates nothing per call.
/// </summary>
public sealed partial class MatMul : IParallelJob
{
    private readonly WorkerPool _pool;
    private readonly float[][] _rowScratch;   // [threads][maxCols]
    private readonly float[] _rounded;        // [maxTokens * maxCols]: X rounded to the weight's activation format
    private readonly Int8Activations _int8;   // X quantized for the weight types llama.cpp dots in integers
    private readonly PackedActivations _packedSums;   // the block sums the 8-row packed kernels read
    private readonly QuantizeJob _quantize;
    private readonly int _maxCols, _maxTokens;
    private QTensor? _w;
    private float[] _x = [], _y = [];
    private int _nTok, _rows;
    private bool _rows8;            // items are groups of 8 rows (IntegerDotRows8, or a packed copy)
    private QTensor[] _heads = [];  // per-head products: items are (head, tile of rows)
    private int _headStride, _tilesPerHead;
    private bool _headsPacked;      // per-head items are groups of 8 packed Q8_0/Q5_0 rows (else tiles of RowTile rows)
    private (QuantType Format, float[] X, int NTok, int Cols)? _quantized;   // what _int8 holds, while it is valid
    private (QuantType Format, float[] X, int NTok, int Cols) _filling;      // what other code is quantizing into it

    public MatMul(WorkerPool pool, int maxCols, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        _maxCols = maxCols;
        _maxTokens = maxTokens;
        _rowScratch = new float[pool.Threads][];
        for (int i = 0; i < _rowScratch.Length; i++) _rowScratch[i] = new float[maxCols];
        _rounded = new float[checked(maxTokens * maxCols)];
        _int8 = new Int8Activations(maxTokens, maxCols);
        _packedSums = new PackedActivations(maxTokens, maxCols);
        _quantize = new QuantizeJob(pool, _int8);
        _vectorProducts = new VectorProductsJob(pool, _int8, _packedSums);
    }

    // A prompt batch's activations quantized by token rows over the pool (a 512 × 8960 input on one thread kept the
    // other waiting); a few tokens are not worth a dispatch.
    private sealed class QuantizeJob(WorkerPool pool, Int8Activations act) : IParallelJob
    {
        private const int MinTokens = 16;
        private QuantType _format;
        private float[] _x = [];
        private int _cols;

        public void Run(QuantType format, float[] x, int nTok, int cols)
        {
            if (nTok < MinTokens)
            {
                act.Quantize(format, x, nTok, cols);
                return;
            }
            act.Begin(nTok, cols);
            (_format, _x, _cols) = (format, x, cols);
            pool.Run(this, nTok);
            _x = [];
        }

        public void Execute(int worker, int start, int limit) => act.QuantizeRows(_format, _x, start, limit, _cols);
    }

    /// <summary>y [nTok, w.Rows] ← x [nTok, w.Cols] · wᵀ (activations rounded as llama.cpp rounds them).</summary>
    public void Run(QTensor w, float[] x, int nTok, float[] y) => Run(w, x, nTok, y, sameActivations: false);

    /// <summary>
    /// As <see cref="Run(QTensor, float[], int, float[])"/>; with <paramref name="sameActivations"/> the caller
    /// promises that x has not changed since the previous product on this instance, so activations quantized then
    /// to the same format, for the same rows, are used again (q, k and v of one input; gate and up).
    /// </summary>
    public void Run(QTensor w, float[] x, int nTok, float[] y, bool sameActivations)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(w.Cols, _maxCols, nameof(w));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nTok, _maxTokens);
        int cols = w.Cols, rows = checked((int)w.Rows);
        System.Diagnostics.Debug.Assert(x.Length >= nTok * cols && y.Length >= (long)nTok * rows);
        var partner = ActivationRounding.PartnerOf(w.Type);
        bool rounded = false;
        // Only an unbroken run of promised products may reuse: one without the promise ends it, even a float product
        // that quantizes nothing (its x may be new values in the same array).
        if (!sameActivations) _quantized = null;
        if (IntegerDot.Supports(w.Type))
        {
            var wanted = (partner, x, nTok, cols);
            if (_quantized != wanted)
            {
                _quantized = null;
                _quantize.Run(partner, x, nTok, cols);
                _quantized = wanted;
            }
        }
        else
            for (int t = 0; t < nTok; t++)
                rounded = ActivationRounding.Round(partner, x.AsSpan(t * cols, cols), _rounded.AsSpan(t * cols, cols));
        (_w, _x, _y, _nTok, _rows) = (w, rounded ? _rounded : x, y, nTok, rows);
        _rows8 = (w.LlamaRepacked && rows % 8 == 0 && KernelIsaSelection.Current >= KernelIsa.Avx2) || w.Packed is { Type: QuantType.Q8_0 or QuantType.Q5_0 };
        if (_rows8 && w.Packed is { Type: QuantType.Q4_0 or QuantType.Q4_K }) _packedSums.Prepare(w.Type, _int8, nTok, cols);
        _pool.Run(this, _rows8 ? rows / 8 : rows);
        (_w, _x, _y) = (null, [], []);
    }

    /// <summary>
    /// Lets the job that writes x quantize it for the next product with <paramref name="w"/> as its rows are done
    /// (SwiGLU's workers, each on its own rows, in their own pool run): call <see cref="QuantizeActivationRows"/> for
    /// every row, then <see cref="EndActivations"/>, then Run(w, x, nTok, y, sameActivations: true). Returns false,
    /// having changed nothing, where w's products do not read integer activations.
    /// </summary>
    public bool BeginActivations(QTensor w, float[] x, int nTok)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (!IntegerDot.Supports(w.Type) || nTok > _maxTokens || w.Cols > _maxCols) return false;
        _quantized = null;
        _filling = (ActivationRounding.PartnerOf(w.Type), x, nTok, w.Cols);
        _int8.Begin(nTok, w.Cols);
        return true;
    }

    /// <summary>Quantizes rows [r0, r1) of the x given to <see cref="BeginActivations"/> (threads take disjoint rows).</summary>
    public void QuantizeActivationRows(int r0, int r1) =>
        _int8.QuantizeRows(_filling.Format, _filling.X, r0, r1, _filling.Cols);

    /// <summary>Every row is quantized: the next product with sameActivations uses them.</summary>
    public void EndActivations()
    {
        _quantized = _filling;
        _filling = default;
    }

    /// <summary>
    /// Per-head products in one dispatch: for every head h and token t, y row (t·nHeads + h) (stride
    /// <paramref name="yStride"/>) ← w[h] · the first w[h].Cols values of x row (t·nHeads + h) (stride
    /// <paramref name="xStride"/>). Deepseek2's absorbed attention maps each head through its own small matrix; with
    /// the activations quantized once and the heads' row tiles spread over the pool in one run, a decode step pays
    /// one dispatch instead of nHeads. Returns false, having done nothing, where the weights take another path
    /// (float or repacked weights, heads of different shapes, activations that do not fit).
    /// </summary>
    public bool TryRunPerHead(QTensor[] w, float[] x, int xStride, int nTok, float[] y, int yStride)
    {
        ArgumentNullException.ThrowIfNull(w);
        var w0 = w[0];
        int nH = w.Length, cols = w0.Cols;
        if (!IntegerDot.Supports(w0.Type) || w0.LlamaRepacked || nTok > _maxTokens || !_int8.Fits(nTok * nH, cols)) return false;
        foreach (var h in w)
            if (h.Type != w0.Type || h.Cols != cols || h.Rows != w0.Rows || h.LlamaRepacked) return false;
        _quantized = null;
        _int8.Quantize(ActivationRounding.PartnerOf(w0.Type), x, nTok * nH, cols, xStride);
        (_heads, _y, _nTok, _rows, _headStride) = (w, y, nTok, checked((int)w0.Rows), yStride);
        _headsPacked = _rows % 8 == 0 && AllPackedForVecDot(w);
        _tilesPerHead = _headsPacked ? _rows / 8 : (_rows + RowTile - 1) / RowTile;
        _pool.Run(this, nH * _tilesPerHead);
        (_heads, _y) = ([], []);
        return true;
    }

    /// <summary>Rows [start, limit): decode each once, dot it with all tokens.</summary>
    public void Execute(int worker, int start, int limit)
    {
        if (_heads.Length > 0)
        {
            HeadTiles(start, limit);
            return;
        }
        var w = _w!;
        int cols = w.Cols;
        var row = _rowScratch[worker].AsSpan(0, cols);
        if (_rows8)
        {
            RowGroups(w, start, limit);
            return;
        }
        if (IntegerDot.Supports(w.Type))
        {
            IntegerRows(w, start, limit);
            return;
        }
        for (int r = start; r < limit; r++)
        {
            ReadOnlySpan<float> weights = w.Type == QuantType.F32
                ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(w.Row(r))
                : Decoded(w, r, row);
            for (int t = 0; t < _nTok; t++)
                _y[t * _rows + r] = FloatKernels.Dot(weights, _x.AsSpan(t * cols, cols));
        }
    }

    // Tiles of RowTile rows × all tokens: the tile's weight bytes stay in L1 while every token's activations pass
    // once per tile (not once per row), and each weight byte comes from memory once per product.
    private const int RowTile = 4;

    private void IntegerRows(QTensor w, int start, int limit)
    {
        var x = new TokenRows(_int8, 0, 1);
        // Decode's token (or a batched step's four) against Q6_K rows: the whole range in one call (per-call set-up was a
        // fifth of the time).
        if (IntegerTiles.SupportsRows(KernelIsaSelection.Current, w.Type, w.LlamaRepacked, _nTok))
        {
            IntegerTiles.DotRows(w, start, limit - start, x, _nTok, _y, _rows);
            return;
        }
        if (_nTok == 1 && IntegerTiles.SupportsOneToken8(KernelIsaSelection.Current, w.Type, w.LlamaRepacked))
            for (; start + 8 <= limit; start += 8) IntegerTiles.DotOneToken8(w, start, x, _y);
        for (int r0 = start; r0 < limit; r0 += RowTile)
            RowTileProduct(w, r0, Math.Min(r0 + RowTile, limit), x, _y, _rows);
    }

    private static bool AllPackedForVecDot(QTensor[] heads)
    {
        foreach (var h in heads)
            if (h.Packed is not { Type: QuantType.Q8_0 or QuantType.Q5_0 }) return false;
        return true;
    }

    // Items [start, limit) of (head, 4-row tile), or of (head, packed 8-row group): token t of head h reads activation
    // row t·nH + h and writes y row t·nH + h, so each head is an ordinary product over strided token rows. Packed
    // heads take each head's share of the items in one kernel call: a head's rows are short (attn_k_b: 128 values,
    // 4 blocks), and calling the 4-row tile per tile left these products bound by call set-up, at ~20% of a plain
    // read of their bytes.
    private void HeadTiles(int start, int limit)
    {
        int nH = _heads.Length;
        if (_headsPacked)
        {
            for (int item = start; item < limit;)
            {
                int h = item / _tilesPerHead, g0 = item % _tilesPerHead, g1 = Math.Min(_tilesPerHead, g0 + limit - item);
                IntegerTiles.DotPacked(_heads[h].Packed!, g0, g1, new TokenRows(_int8, h, nH), _nTok, _y.AsSpan(h * _headStride), nH * _headStride);
                item += g1 - g0;
            }
            return;
        }
        for (int item = start; item < limit; item++)
        {
            int h = item / _tilesPerHead, r0 = item % _tilesPerHead * RowTile;
            RowTileProduct(_heads[h], r0, Math.Min(r0 + RowTile, _rows), new TokenRows(_int8, h, nH), _y.AsSpan(h * _headStride), nH * _headStride);
        }
    }

    // y [t·yStride + r] ← row r · token t for rows [r0, r1) and every token: the 4-row tile kernel where there is one,
    // else row by row.
    private void RowTileProduct(QTensor w, int r0, int r1, TokenRows x, Span<float> y, int yStride)
    {
        var isa = KernelIsaSelection.Current;
        bool repacked = w.LlamaRepacked;
        if (r1 - r0 == IntegerTiles.Rows && IntegerTiles.Supports(isa, w.Type, repacked))
        {
            IntegerTiles.Dot(w, r0, x, _nTok, y, yStride);
            return;
        }
        for (int t = 0; t < _nTok; t++)
        {
            var xt = x.Row(t);
            for (int r = r0; r < r1; r++)
                y[t * yStride + r] = repacked ? IntegerDot.DotRepacked(isa, w.Type, w.Row(r), xt) : IntegerDot.Dot(isa, w.Type, w.Row(r), xt);
        }
    }

    // Groups [start, limit) of 8 rows, each group against every token (its 8 rows stay in L1 meanwhile).
    private void RowGroups(QTensor w, int start, int limit)
    {
        if (w.Packed is { Type: QuantType.Q8_0 or QuantType.Q5_0 } vecDot)
        {
            IntegerTiles.DotPacked(vecDot, start, limit, new TokenRows(_int8, 0, 1), _nTok, _y, _rows);
            return;
        }
        if (w.Packed is { } packed)
        {
            PackedRows8.Run(KernelIsaSelection.Current, packed, start, limit, _int8, _packedSums, _nTok, _y, _rows);
            return;
        }
        Span<float> y8 = stackalloc float[8];
        for (int g = start; g < limit; g++)
            for (int t = 0; t < _nTok; t++)
            {
                IntegerDotRows8.Dot(w, 8L * g, _int8.Row(t), y8);
                y8.CopyTo(_y.AsSpan(t * _rows + 8 * g, 8));
            }
    }

    private static Span<float> Decoded(QTensor w, int r, Span<float> row)
    {
        RowDecoder.Decode(w.Type, w.Row(r), row);
        return row;
    }
}
