using DeepSharp.Core.Quant;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Activations quantized to int8 blocks (Q8_0, Q8_1, Q8_K) exactly as llama.cpp's CPU backend quantizes the
/// right-hand side of a product, one row per token, once per matrix product. Scales are kept as the floats ggml
/// reads back (f16-rounded for Q8_0/Q8_1); Q8_K also keeps its 16-value sums.
/// </summary>
public sealed class Int8Activations
{
    // Quants start on a cache line (pinned, so the start stays put): every 32-byte load of a row's block then sits
    // inside one line. A plain array starts anywhere mod 64, and half its loads straddle two lines — a run-to-run
    // swing of ~25% in the prompt kernels, depending on where the GC happened to put the array.
    private readonly sbyte[] _qs;
    private readonly int _quantsStart;   // first element on a cache line
    private readonly float[] _d, _s;
    private readonly short[] _bsums;
    private int _cols;

    public Int8Activations(int maxTokens, int maxCols)
    {
        _qs = GC.AllocateUninitializedArray<sbyte>(checked(maxTokens * maxCols + CacheLine), pinned: true);
        _quantsStart = LineOffset(_qs);
        _d = new float[checked(maxTokens * maxCols / 32 + maxTokens)];
        _s = new float[checked(maxTokens * maxCols / 32 + maxTokens)];
        _bsums = new short[checked(maxTokens * maxCols / 16 + maxTokens)];
    }

    /// <summary>Quantizes the first <paramref name="nTok"/> rows of x [nTok, cols] to <paramref name="format"/>.</summary>
    public void Quantize(QuantType format, float[] x, int nTok, int cols) => Quantize(format, x, nTok, cols, cols);

    /// <summary>Whether <paramref name="rows"/> rows of <paramref name="cols"/> values fit.</summary>
    public bool Fits(int rows, int cols) => (long)rows * cols <= _qs.Length - CacheLine;

    /// <summary>Quantizes <paramref name="rows"/> rows of <paramref name="cols"/> values, row i at x[i·xStride ..].</summary>
    public void Quantize(QuantType format, float[] x, int rows, int cols, int xStride)
    {
        Begin(rows, cols);
        QuantizeRows(format, x, 0, rows, xStride);
    }

    /// <summary>Sizes the next <see cref="QuantizeRows"/> calls: <paramref name="rows"/> rows of <paramref name="cols"/> values.</summary>
    public void Begin(int rows, int cols)
    {
        if (!Fits(rows, cols)) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows of {cols} do not fit");
        _cols = cols;
    }

    /// <summary>Rows [r0, r1) of the product <see cref="Begin"/> sized (threads may take disjoint ranges).</summary>
    public void QuantizeRows(QuantType format, float[] x, int r0, int r1, int xStride)
    {
        ArgumentNullException.ThrowIfNull(x);
        int cols = _cols, block = format == QuantType.Q8_K ? 256 : 32;
        for (int t = r0; t < r1; t++)
            for (int b = 0; b < cols / block; b++)
            {
                var src = x.AsSpan(t * xStride + b * block, block);
                var q = _qs.AsSpan(_quantsStart + t * cols + b * block, block);
                int at = t * (cols / 32) + b;
                if (format == QuantType.Q8_K)
                    _d[at] = Int8Quantizer.Q8K(src, q, _bsums.AsSpan(t * (cols / 16) + b * 16, 16));
                else
                    (_d[at], _s[at]) = Int8Quantizer.Q8(src, q);
            }
    }

    public ReadOnlySpan<sbyte> Quants(int token) => _qs.AsSpan(_quantsStart + token * _cols, _cols);
    public ReadOnlySpan<float> Scales(int token) => _d.AsSpan(token * (_cols / 32), _cols / 32);
    public ReadOnlySpan<float> Sums(int token) => _s.AsSpan(token * (_cols / 32), _cols / 32);
    /// <summary>Q8_K only: the sum of each 16 quants.</summary>
    public ReadOnlySpan<short> BlockSums(int token) => _bsums.AsSpan(token * (_cols / 16), _cols / 16);

    private const int CacheLine = 64;

    // Elements to skip so that the array's data begins on a cache line.
    private static unsafe int LineOffset(sbyte[] pinnedArray)
    {
        nint at = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(pinnedArray));
        return (int)((CacheLine - (at & (CacheLine - 1))) & (CacheLine - 1));
    }

    /// <summary>Token <paramref name="token"/>'s quants, scales and sums together.</summary>
    public Int8Row Row(int token) => new(Quants(token), Scales(token), Sums(token), BlockSums(token));

    /// <summary>Row <paramref name="token"/>'s first quant, unchecked: for tile loops that step through many rows.</summary>
    internal ref sbyte QuantsAt(int token) =>
        ref System.Runtime.CompilerServices.Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_qs), _quantsStart + token * _cols);

    /// <summary>Row <paramref name="token"/>'s first block scale, unchecked (see <see cref="QuantsAt"/>).</summary>
    internal ref float ScalesAt(int token) =>
        ref System.Runtime.CompilerServices.Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_d), token * (_cols / 32));
}
