using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>Up to <see cref="PackedRows8.TileTokens"/> tokens' activations as the packed kernels read them.</summary>
internal unsafe ref struct TileX
{
    public int Tokens;
    public Pointers4 Quants;   // sbyte* per token
    public Pointers4 Scales;   // float* per token: one per block
    public Pointers4 Sums;     // int* per token: PackedActivations.Sums

    public readonly sbyte* Q(int t) => (sbyte*)Quants[t];
    public readonly float Scale(int t, int b) => ((float*)Scales[t])[b];
    public readonly int* S(int t) => (int*)Sums[t];
}

[InlineArray(PackedRows8.TileTokens)]
internal struct Pointers4
{
    private nint _p;
}

/// <summary>
/// Products of a <see cref="Rows8Pack"/> matrix with a batch of tokens: tiles of 8 rows × up to 4 tokens, each
/// group's block unpacked once for all the tile's tokens (llama.cpp's gemm idea; one token is its gemv). For each
/// row and token the float steps are exactly <see cref="IntegerDotScalar.Q4Kx8"/> / <see cref="IntegerDotScalar.Q4_0x8"/>:
/// acc = fma(float(block integer sum), d_w·d_x, acc) block after block (mins likewise), so the result is
/// bit-identical to llama.cpp's repacked kernels; only the exact integer sums are formed in another order.
/// </summary>
internal static unsafe class PackedRows8
{
    public const int TileTokens = 4;

    // Bytes of packed groups handled per pass over the token tiles when there are several: they stay in L2 while
    // every tile of tokens reads them (with the tokens' activations), so memory delivers each weight byte once.
    private const long PassBytes = 256 * 1024;

    /// <summary>y [t·yStride + 8g + r] ← row 8g + r · token t, for groups [g0, g1) and tokens [0, nTok).</summary>
    public static void Run(KernelIsa isa, Rows8Pack p, int g0, int g1, Int8Activations act, PackedActivations sums, int nTok,
        Span<float> y, int yStride)
    {
        int pass = nTok <= TileTokens ? g1 - g0 : (int)Math.Max(1, PassBytes / p.GroupBytes);
        for (int gs = g0; gs < g1; gs += pass)
            for (int t0 = 0; t0 < nTok; t0 += TileTokens)
                Tile(isa, p, gs, Math.Min(gs + pass, g1), act, sums, t0, Math.Min(TileTokens, nTok - t0), y, yStride);
    }

    private static void Tile(KernelIsa isa, Rows8Pack p, int g0, int g1, Int8Activations act, PackedActivations sums,
        int t0, int nT, Span<float> y, int yStride)
    {
        int t1 = t0 + Math.Min(1, nT - 1), t2 = t0 + Math.Min(2, nT - 1), t3 = t0 + Math.Min(3, nT - 1);
        fixed (sbyte* q0 = act.Quants(t0), q1 = act.Quants(t1), q2 = act.Quants(t2), q3 = act.Quants(t3))
        fixed (float* d0 = act.Scales(t0), d1 = act.Scales(t1), d2 = act.Scales(t2), d3 = act.Scales(t3))
        fixed (int* s0 = sums.Sums(t0), s1 = sums.Sums(t1), s2 = sums.Sums(t2), s3 = sums.Sums(t3))
        fixed (float* yt = y.Slice(t0 * yStride))
        {
            var x = new TileX { Tokens = nT };
            (x.Quants[0], x.Quants[1], x.Quants[2], x.Quants[3]) = ((nint)q0, (nint)q1, (nint)q2, (nint)q3);
            (x.Scales[0], x.Scales[1], x.Scales[2], x.Scales[3]) = ((nint)d0, (nint)d1, (nint)d2, (nint)d3);
            (x.Sums[0], x.Sums[1], x.Sums[2], x.Sums[3]) = ((nint)s0, (nint)s1, (nint)s2, (nint)s3);
            bool q4k = p.Type == Core.Quant.QuantType.Q4_K;
            if (isa == KernelIsa.Avx512)
            {
                if (q4k) PackedRows8Avx512.Q4K(p, g0, g1, x, yt, yStride);
                else PackedRows8Avx512.Q4_0(p, g0, g1, x, yt, yStride);
            }
            else if (q4k) PackedRows8Avx2.Q4K(p, g0, g1, x, yt, yStride);
            else PackedRows8Avx2.Q4_0(p, g0, g1, x, yt, yStride);
        }
    }

    /// <summary>
    /// Q4_K mins of one block for 8 rows: lane r = Σ_i min[r][2i]·B[2i] + min[r][2i+1]·B[2i+1] with the token's
    /// 32-value sums B (pairs as in <see cref="PackedActivations"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Q4KMins(byte* head, int* pairs)
    {
        byte* m = head + Rows8Pack.MinsOffset;
        var s0 = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(m), Vector256.Create(pairs[0]).AsInt16());
        var s1 = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(m + 16), Vector256.Create(pairs[1]).AsInt16());
        var s2 = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(m + 32), Vector256.Create(pairs[2]).AsInt16());
        var s3 = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(m + 48), Vector256.Create(pairs[3]).AsInt16());
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>
    /// Bytes ahead of the block being read that the kernels streaming a group's blocks once (decode's one token, and
    /// 2–3 tokens) prefetch. Why: each weight byte is used once and briefly, and the hardware prefetcher alone left
    /// decode waiting on memory. `deepsharp bench -p 0 -n 64 --reps 2`, 2 threads, A/B: 1.5B Q4_K_M 30.5–32.2 →
    /// 34.7–36.7 t/s, Q4_0 27.3–28.0 → 29.6–30.0 t/s; 2–8 KB ahead alike, 16 KB no better than none. (The 4-token
    /// tiles compute longer per block and fetch the next group's block instead.)
    /// </summary>
    public const int StreamPrefetchBytes = 4096;

    /// <summary>
    /// A packed Q4_0 block's 8 row scales, kept as the file's f16 bits (<see cref="Rows8Pack"/>), as floats. Why not
    /// floats in the layout: they made a block 160 bytes instead of the file's 144 — a tenth more memory traffic for
    /// decode, which streams the weights. The packer keeps infinite and NaN scales out, so the short widening serves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Q4_0Scales(byte* blk) =>
        Float.HalfVector.ToSingleFinite((short*)(blk + Rows8Pack.DOffset));

    /// <summary>A packed Q4_K block's 8 row scales d and min scales dmin (the file's f16 bits, finite: see
    /// <see cref="Rows8Pack"/>) from its head, as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> D, Vector256<float> DMin) Q4KScales(byte* head) =>
        (Float.HalfVector.ToSingleFinite((short*)(head + Rows8Pack.DOffset)), Float.HalfVector.ToSingleFinite((short*)(head + Rows8Pack.DMinOffset)));

    /// <summary>8 bytes of activations broadcast to every 8-byte lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<sbyte> Broadcast512(sbyte* x) => Vector512.Create(*(long*)x).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Broadcast256(sbyte* x) => Vector256.Create(*(long*)x).AsSByte();

    /// <summary>
    /// pshufb indices that spread 8 scale bytes (row r at byte r, or 8 + r with <paramref name="high"/>) over the
    /// int16 lanes of the rows' 8-byte quant lanes: int16 lane j of a vector whose first row is
    /// <paramref name="firstRow"/> takes row firstRow + j/4 (per 128-bit lane, which pshufb works in); high bytes zero.
    /// </summary>
    public static byte[] ScaleSpread(int bytes, int firstRow, bool high)
    {
        var idx = new byte[bytes];
        for (int p = 0; p < bytes; p++)
        {
            int lane = p / 16, j = 8 * lane + (p % 16) / 2;
            idx[p] = p % 2 == 1 ? (byte)0x80 : (byte)((high ? 8 : 0) + firstRow + j / 4);
        }
        return idx;
    }
}
