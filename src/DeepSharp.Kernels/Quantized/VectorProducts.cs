using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// One matrix–vector product of a <see cref="MatMul.RunMany"/> dispatch: <c>Y[YOffset + r] ← W row r · activation
/// row XRow</c> for every row r of <see cref="W"/>.
/// </summary>
public readonly record struct VectorProduct(QTensor W, int XRow, float[] Y, int YOffset);

/// <summary>
/// Several one-token products in one pool dispatch: the items are the products' groups of 8 rows, one after another,
/// so the workers split all of them as they would one matrix. Why: a mixture-of-experts token runs k experts' gate,
/// up and down products of 1–2 MB each, and at 2 threads every dispatch cost about 10 µs of wake-up and end-of-product
/// imbalance (kbench: 16 pieces of a matrix against the whole, +8–10 µs a piece) — a quarter of such a product's time.
/// Each product runs the kernel that <see cref="MatMul.Run(QTensor, float[], int, float[])"/> gives it for one token,
/// on the same quantized activations: the same bits.
/// </summary>
internal sealed class VectorProductsJob(WorkerPool pool, Int8Activations act, PackedActivations sums) : IParallelJob
{
    private const int GroupRows = 8;
    private VectorProduct[] _products = [];
    private readonly int[] _firstGroup = new int[MaxProducts + 1];
    private int _count;
    private Kind _kind;

    /// <summary>Products one dispatch takes at most (a token's gate and up of up to 32 experts).</summary>
    public const int MaxProducts = 64;

    /// <summary>How a set of products is computed; <see cref="Kind.None"/>: not through this job.</summary>
    public enum Kind
    {
        None,
        PackedVecDot,   // packed Q8_0 / Q5_0 (IntegerTiles.DotPacked)
        Packed4,        // packed Q4_0 / Q4_K (PackedRows8)
        Q6KRows,        // Q6_K in the file's layout (IntegerTiles.DotRows)
    }

    /// <summary>The kind of one matrix on <paramref name="isa"/>, or None where its one-token product takes another path.</summary>
    public static Kind KindOf(QTensor w, KernelIsa isa)
    {
        if (w.Rows % GroupRows != 0) return Kind.None;
        if (w.Packed is { Type: QuantType.Q8_0 or QuantType.Q5_0 }) return Kind.PackedVecDot;
        if (w.Packed is { Type: QuantType.Q4_0 or QuantType.Q4_K } && w.LlamaRepacked && isa >= KernelIsa.Avx2) return Kind.Packed4;
        if (IntegerTiles.SupportsRows(isa, w.Type, w.LlamaRepacked, 1)) return Kind.Q6KRows;
        return Kind.None;
    }

    /// <summary>Runs products [0, count), all of <paramref name="kind"/>, on the activations quantized for them.</summary>
    public void Run(VectorProduct[] products, int count, Kind kind)
    {
        (_products, _count, _kind) = (products, count, kind);
        for (int p = 0; p < count; p++) _firstGroup[p + 1] = _firstGroup[p] + (int)(products[p].W.Rows / GroupRows);
        pool.Run(this, _firstGroup[count]);
        _products = [];
    }

    /// <summary>Items [start, limit) of all products' groups: each product's part through its kernel.</summary>
    public void Execute(int worker, int start, int limit)
    {
        int p = 0;
        while (_firstGroup[p + 1] <= start) p++;
        for (; p < _count && _firstGroup[p] < limit; p++)
        {
            int first = _firstGroup[p];
            Groups(_products[p], Math.Max(start, first) - first, Math.Min(limit, _firstGroup[p + 1]) - first);
        }
    }

    // Groups [g0, g1) of one product.
    private void Groups(in VectorProduct product, int g0, int g1)
    {
        var w = product.W;
        int rows = checked((int)w.Rows);
        var y = product.Y.AsSpan(product.YOffset, rows);
        switch (_kind)
        {
            case Kind.PackedVecDot:
                IntegerTiles.DotPacked(w.Packed!, g0, g1, new TokenRows(act, product.XRow, 1), 1, y, rows);
                break;
            case Kind.Packed4:
                PackedRows8.RunToken(KernelIsaSelection.Current, w.Packed!, g0, g1, act, sums, product.XRow, y);
                break;
            default:
                IntegerTiles.DotRows(w, (long)GroupRows * g0, GroupRows * (g1 - g0), new TokenRows(act, product.XRow, 1), 1, y, rows);
                break;
        }
    }
}
