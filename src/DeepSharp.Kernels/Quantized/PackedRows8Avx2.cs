using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// AVX2 kernels of <see cref="PackedRows8"/>: each 64-byte group of quants is read as two 32-byte halves (rows
/// 0–3, rows 4–7); the same integer sums as <see cref="PackedRows8Avx512"/>, the same float steps.
/// </summary>
[SkipLocalsInit]
internal static unsafe class PackedRows8Avx2
{
    private static readonly Vector256<byte> ScalesLo0 = Vector256.Create(PackedRows8.ScaleSpread(32, 0, high: false));
    private static readonly Vector256<byte> ScalesHi0 = Vector256.Create(PackedRows8.ScaleSpread(32, 0, high: true));
    private static readonly Vector256<byte> ScalesLo1 = Vector256.Create(PackedRows8.ScaleSpread(32, 4, high: false));
    private static readonly Vector256<byte> ScalesHi1 = Vector256.Create(PackedRows8.ScaleSpread(32, 4, high: true));
    private static readonly Vector256<int> RowOrder = Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7);

    // Rows 0–3 (two int32 lanes each) and rows 4–7 → lane r = row r's sum.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RowSums(Vector256<int> rows03, Vector256<int> rows47) =>
        Avx2.PermuteVar8x32(Avx2.HorizontalAdd(rows03, rows47), RowOrder);

    // Σ over k of nibbles(q + 64k + half) · x[8k..]: lanes of 4 rows × 4 int16 products.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short> Lo, Vector256<short> Hi) Products(byte* q, sbyte* xLo, sbyte* xHi, int kCount)
    {
        var m4 = Vector256.Create((byte)0x0F);
        var lo = Vector256<short>.Zero;
        var hi = Vector256<short>.Zero;
        for (int k = 0; k < kCount; k++)
        {
            var v = Vector256.Load(q + 64 * k);
            lo += Avx2.MultiplyAddAdjacent(v & m4, PackedRows8.Broadcast256(xLo + 8 * k));
            hi += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & m4, PackedRows8.Broadcast256(xHi + 8 * k));
        }
        return (lo, hi);
    }

    // Half h (rows 4h..4h+3) of chunk c of a Q4_K block (its quants and head, Rows8Pack.Q4KParts): scale·products
    // in 8 int32 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4KChunk(byte* quants, byte* head, int c, int h, sbyte* xc)
    {
        var sc = Avx2.BroadcastVector128ToVector256(head + Rows8Pack.ScalesOffset + 16 * c);
        var (lo, hi) = Products(quants + 256 * c + 32 * h, xc, xc + 32, 4);
        var scLo = Avx2.Shuffle(sc, h == 0 ? ScalesLo0 : ScalesLo1).AsInt16();
        var scHi = Avx2.Shuffle(sc, h == 0 ? ScalesHi0 : ScalesHi1).AsInt16();
        return Avx2.MultiplyAddAdjacent(lo, scLo) + Avx2.MultiplyAddAdjacent(hi, scHi);
    }

    [MethodImpl(KernelLoop.Options)]
    public static void Q4K(Rows8Pack p, int g0, int g1, in TileX x, float* y, int yStride)
    {
        int blocks = p.Blocks;
        for (int t = 0; t < x.Tokens; t++)
        {
            byte* blk = p.Block(g0, 0);   // a running pointer (see Rows8Pack.Block)
            for (int g = g0; g < g1; g++)
            {
                var acc = Vector256<float>.Zero;
                var accMin = Vector256<float>.Zero;
                for (int b = 0; b < blocks; b++, blk += Rows8Pack.Q4KBlockBytes)
                {
                    KernelLoop.Prefetch(blk + PackedRows8.StreamPrefetchBytes, Rows8Pack.Q4KBlockBytes);
                    sbyte* xb = x.Q(t) + 256 * b;
                    Rows8Pack.Q4KParts(blk, out byte* quants, out byte* head);
                    Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero;
                    for (int c = 0; c < 4; c++)
                    {
                        s0 += Q4KChunk(quants, head, c, 0, xb + 64 * c);
                        s1 += Q4KChunk(quants, head, c, 1, xb + 64 * c);
                    }
                    var xd = Vector256.Create(x.Scale(t, b));
                    var (d, dmin) = PackedRows8.Q4KScales(head);
                    acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(RowSums(s0, s1)), d * xd, acc);
                    accMin = Fma.MultiplyAdd(Avx.ConvertToVector256Single(PackedRows8.Q4KMins(head, x.S(t) + 4 * b)), dmin * xd, accMin);
                }
                (acc - accMin).Store(y + t * yStride + 8 * g);
            }
        }
    }

    [MethodImpl(KernelLoop.Options)]
    public static void Q4_0(Rows8Pack p, int g0, int g1, in TileX x, float* y, int yStride)
    {
        int blocks = p.Blocks;
        for (int t = 0; t < x.Tokens; t++)
        {
            byte* blk = p.Block(g0, 0);   // a running pointer (see Rows8Pack.Block)
            for (int g = g0; g < g1; g++)
            {
                var acc = Vector256<float>.Zero;
                for (int b = 0; b < blocks; b++, blk += Rows8Pack.Q4_0BlockBytes)
                {
                    KernelLoop.Prefetch(blk + PackedRows8.StreamPrefetchBytes, Rows8Pack.Q4_0BlockBytes);
                    sbyte* xb = x.Q(t) + 32 * b;
                    var (lo0, hi0) = Products(blk + Rows8Pack.Q4_0QuantsOffset, xb, xb + 16, 2);
                    var (lo1, hi1) = Products(blk + Rows8Pack.Q4_0QuantsOffset + 32, xb, xb + 16, 2);
                    var s0 = Avx2.MultiplyAddAdjacent(lo0 + hi0, Vector256<short>.One);
                    var s1 = Avx2.MultiplyAddAdjacent(lo1 + hi1, Vector256<short>.One);
                    var sums = RowSums(s0, s1) - Vector256.Create(x.S(t)[b]);
                    var d = PackedRows8.Q4_0Scales(blk);
                    acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), d * Vector256.Create(x.Scale(t, b)), acc);
                }
                acc.Store(y + t * yStride + 8 * g);
            }
        }
    }
}
