namespace DeepSharp.Kernels.Quantized;

public sealed partial class MatMul
{
    private readonly VectorProductsJob _vectorProducts;
    private readonly VectorProduct[] _oneInput = new VectorProduct[OneInputProducts];

    /// <summary>Products <see cref="TryRunOneToken"/> takes at most (q, k and v).</summary>
    public const int OneInputProducts = 4;

    /// <summary>
    /// Decode's products of one input row <paramref name="x"/> — q, k and v; gate and up — in one dispatch: each Y ← W · x.
    /// Returns false, having done nothing, where the matrices do not take one kernel together (see
    /// <see cref="CanRunMany"/>): run them one by one.
    /// </summary>
    public bool TryRunOneToken(float[] x, params ReadOnlySpan<(QTensor W, float[] Y)> products)
    {
        if (products.Length > _oneInput.Length) return false;
        for (int p = 0; p < products.Length; p++) _oneInput[p] = new VectorProduct(products[p].W, 0, products[p].Y, 0);
        bool can = CanRunMany(_oneInput, products.Length, xRows: 1);
        if (can) RunMany(_oneInput, products.Length, x, xRows: 1, sameActivations: false);
        Array.Clear(_oneInput);   // holds no weights or outputs between calls
        return can;
    }

    /// <summary>
    /// Whether <see cref="RunMany"/> takes products [0, <paramref name="count"/>) of <paramref name="products"/> over
    /// <paramref name="xRows"/> activation rows: matrices of one type, width and kernel (packed Q4_0, Q4_K, Q8_0 or Q5_0;
    /// Q6_K rows), rows in whole groups of 8, activation rows that exist, outputs that fit, and activations that fit
    /// this instance's buffers. Where not, run them one by one.
    /// </summary>
    public bool CanRunMany(VectorProduct[] products, int count, int xRows)
    {
        ArgumentNullException.ThrowIfNull(products);
        if (count < 1 || count > Math.Min(products.Length, VectorProductsJob.MaxProducts)) return false;
        var w0 = products[0].W;
        int cols = w0.Cols;
        var isa = KernelIsaSelection.Current;
        var kind = VectorProductsJob.KindOf(w0, isa);
        if (kind == VectorProductsJob.Kind.None || cols > _maxCols || !_int8.Fits(xRows, cols) || !_packedSums.Fits(xRows, cols)) return false;
        for (int p = 0; p < count; p++)
        {
            var (w, xRow, y, yOffset) = products[p];
            if (w.Type != w0.Type || w.Cols != cols || VectorProductsJob.KindOf(w, isa) != kind) return false;
            if (xRow < 0 || xRow >= xRows || y is null || yOffset < 0 || yOffset + w.Rows > y.Length) return false;
        }
        return true;
    }

    /// <summary>
    /// Products [0, <paramref name="count"/>) of <paramref name="products"/> in one dispatch: product p's Y ← its W ·
    /// row XRow of x [<paramref name="xRows"/>, W.Cols] (rounded as llama.cpp rounds a token's activations). With
    /// <paramref name="sameActivations"/>, as for <see cref="Run(QTensor, float[], int, float[], bool)"/>: x is unchanged since
    /// the previous product, so activations quantized then for the same rows serve again. Each product's values are
    /// those of its own one-token product.
    /// </summary>
    public void RunMany(VectorProduct[] products, int count, float[] x, int xRows, bool sameActivations)
    {
        if (!CanRunMany(products, count, xRows)) throw new ArgumentException("these products take separate dispatches (see CanRunMany)", nameof(products));
        ArgumentNullException.ThrowIfNull(x);
        var w0 = products[0].W;
        int cols = w0.Cols;
        if (x.Length < xRows * cols) throw new ArgumentException($"x holds fewer than {xRows} rows of {cols}", nameof(x));
        if (!sameActivations) _quantized = null;
        var wanted = (ActivationRounding.PartnerOf(w0.Type), x, xRows, cols);
        if (_quantized != wanted)
        {
            _quantized = null;
            _quantize.Run(wanted.Item1, x, xRows, cols);
            _quantized = wanted;
        }
        var kind = VectorProductsJob.KindOf(w0, KernelIsaSelection.Current);
        if (kind == VectorProductsJob.Kind.Packed4) _packedSums.Prepare(w0.Type, _int8, xRows, cols);
        _vectorProducts.Run(products, count, kind);
    }
}
