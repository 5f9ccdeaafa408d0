using System.Runtime.InteropServices;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Views of part of a tensor without copying: one expert of a stacked <c>ffn_*_exps</c> tensor, one head of a 3-D
/// <c>attn_k_b</c>/<c>attn_v_b</c>. A view shares the memory of its source, so it lives as long as the mapping.
/// </summary>
public static unsafe class QTensorViews
{
    /// <summary>
    /// Rows [firstRow, firstRow + rowCount) of <paramref name="t"/> as a matrix [Cols, rowCount]. The view sums its
    /// rows as llama.cpp sums the source's (<see cref="QTensor.LlamaRepacked"/>) unless <paramref name="llamaRepacked"/>
    /// says otherwise. Prepare the source (<see cref="QTensor.PrepareForMatMul"/>) first and the view shares its packed rows.
    /// </summary>
    public static QTensor RowRange(this QTensor t, long firstRow, long rowCount, string name, bool? llamaRepacked = null)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + rowCount, t.Rows, nameof(rowCount));
        QTensor view;
        fixed (byte* first = t.Row(firstRow))   // memory-mapped, never moved: the pointer outlives the fixed block
        {
            view = new QTensor(name, t.Type, [t.Cols, rowCount], (nint)first, t.RowBytes * rowCount)
            {
                LlamaRepacked = llamaRepacked ?? t.LlamaRepacked,
            };
        }
        // Whole groups of a packed source (an expert of a stacked tensor) use its packed rows: same values, same sums
        // (Q8_0 and Q5_0 packed rows are summed as their file rows are, so they serve whatever sums the view asks for).
        // Of a chunked pack only whole batches can be shared; other rows keep the file's layout (the same sums).
        if (t.Packed is { } pack && (view.LlamaRepacked || pack.Type is Core.Quant.QuantType.Q8_0 or Core.Quant.QuantType.Q5_0) && firstRow % 8 == 0 && rowCount % 8 == 0
            && pack.CanSlice((int)(firstRow / 8), (int)(rowCount / 8)))
            view.SharePack(pack.Slice((int)(firstRow / 8), (int)(rowCount / 8)));
        return view;
    }

    /// <summary>
    /// An F32 matrix [cols, rows] over <paramref name="values"/> (rows·cols floats, row-major), for weights the
    /// engine derives at load (a transposed copy); the array is pinned for the life of the process.
    /// </summary>
    public static QTensor FromFloats(string name, float[] values, int cols)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        if (values.Length % cols != 0) throw new ArgumentException($"{values.Length} values are not rows of {cols}", nameof(values));
        var pinned = GC.AllocateUninitializedArray<float>(values.Length, pinned: true);
        values.CopyTo(pinned);
        Pinned.Add(pinned);
        nint data = Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0);
        return new QTensor(name, Core.Quant.QuantType.F32, [cols, values.Length / cols], data, 4L * values.Length);
    }

    // Keeps pinned copies reachable: QTensor holds only a raw pointer.
    private static readonly System.Collections.Concurrent.ConcurrentBag<float[]> Pinned = [];
}
