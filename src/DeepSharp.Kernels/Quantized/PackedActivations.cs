using System.Runtime.Intrinsics;
using DeepSharp.Core.Quant;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// The per-block activation sums the <see cref="Rows8Pack"/> kernels need, computed once per matrix product for
/// all tokens (not once per group of rows): for Q4_0, 8·Σq of each 32-value block (the layout keeps the nibbles
/// unsigned, so Σ(nibble − 8)·q = Σ nibble·q − 8·Σq); for Q4_K, per 256-value block the four pairs of 32-value
/// sums (from Q8_K's 16-value sums) packed as two int16 in one int, as the mins' multiply-add reads them.
/// </summary>
internal sealed class PackedActivations(int maxTokens, int maxCols)
{
    private readonly int[] _sums = new int[checked(maxTokens * (maxCols / 32) + 1)];
    private int _stride;

    /// <summary>Token <paramref name="token"/>'s sums (cols/32 ints for Q4_0, cols/64 for Q4_K).</summary>
    public Span<int> Sums(int token) => _sums.AsSpan(token * _stride, _stride);

    /// <summary>Whether <paramref name="nTok"/> rows of <paramref name="cols"/> values fit.</summary>
    public bool Fits(int nTok, int cols) => (long)nTok * (cols / 32) <= _sums.Length;

    public void Prepare(QuantType weight, Int8Activations act, int nTok, int cols)
    {
        _stride = cols / 32;
        for (int t = 0; t < nTok; t++)
        {
            var sums = Sums(t);
            if (weight == QuantType.Q4_K) Q4KPairs(act.BlockSums(t), sums);
            else Q4_0Sums(act.Quants(t), sums);
        }
    }

    private static void Q4_0Sums(ReadOnlySpan<sbyte> q, Span<int> sums)
    {
        for (int b = 0; b < q.Length / 32; b++)
        {
            var (lo, hi) = Vector256.Widen(Vector256.Create(q.Slice(32 * b, 32)));
            sums[b] = 8 * Vector256.Sum(lo + hi);   // |Σ| ≤ 32·127: exact in int16
        }
    }

    // pair i of block b = (B[2i], B[2i+1]) as int16 with B[s] = bs[2s] + bs[2s+1], |B| ≤ 32·127.
    private static void Q4KPairs(ReadOnlySpan<short> bs, Span<int> sums)
    {
        for (int p = 0; p < bs.Length / 4; p++)
        {
            int lo = bs[4 * p] + bs[4 * p + 1], hi = bs[4 * p + 2] + bs[4 * p + 3];
            sums[p] = (ushort)lo | (hi << 16);
        }
    }
}
