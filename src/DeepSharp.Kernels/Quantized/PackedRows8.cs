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

    /// <summary>y [8g + r] ← row 8g + r · activation row <paramref name="token"/>, for groups [g0, g1): one token of
    /// several held (a mixture-of-experts down, each expert's own row).</summary>
    public static void RunToken(KernelIsa isa, Rows8Pack p, int g0, int g1, Int8Activations act, PackedActivations sums, int token,
        Span<float> y) =>
        Tile(isa, p, g0, g1, act, sums, token, 1, y, yStride: 0);   // stride 0: the tile's one token writes y from 0

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
    /// The 6-bit scales of a packed Q4_K block's 8 rows from its head's scale words (<see cref="Rows8Pack"/>):
    /// dword r of <c>S03</c> holds row r's scales 0–3 (byte k: scale k), of <c>S47</c> its scales 4–7. llama.cpp's
    /// get_scale_min_k4 for all 8 rows and 4 scales at once: scale k &lt; 4 is the low 6 bits of byte k; scale 4 + k
    /// the low nibble of byte 8 + k with the top 2 bits of byte k above it (<c>(w >> 2) &amp; 0x30</c> moves each
    /// byte's bits 6–7 to bits 4–5 of the same byte).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<uint> S03, Vector256<uint> S47) Q4KScaleWords(byte* head)
    {
        var (w0, w2) = (ScaleWord(head, 0), ScaleWord(head, 2));
        return (w0 & Vector256.Create(0x3F3F3F3Fu), (w2 & Vector256.Create(0x0F0F0F0Fu)) | ((w0 >> 2) & Vector256.Create(0x30303030u)));
    }

    /// <summary>
    /// The 6-bit mins likewise (dword r of <c>M03</c>: row r's mins 0–3, of <c>M47</c>: mins 4–7): min k &lt; 4 is the
    /// low 6 bits of byte 4 + k, min 4 + k the high nibble of byte 8 + k with the top 2 bits of byte 4 + k above it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<uint> M03, Vector256<uint> M47) Q4KMinWords(byte* head)
    {
        var (w1, w2) = (ScaleWord(head, 1), ScaleWord(head, 2));
        return (w1 & Vector256.Create(0x3F3F3F3Fu), ((w2 >> 4) & Vector256.Create(0x0F0F0F0Fu)) | ((w1 >> 2) & Vector256.Create(0x30303030u)));
    }

    // The 8 rows' file scale bytes 4w .. 4w + 3, one dword per row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> ScaleWord(byte* head, int w) => Vector256.Load((uint*)(head + Rows8Pack.ScaleWordsOffset + 32 * w));

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
    /// pshufb indices that spread one scale byte per row over the int16 lanes of the rows' 8-byte quant lanes: in each
    /// 128-bit lane (two rows, as pshufb works), int16 lanes 0–3 take byte <paramref name="k"/> and lanes 4–7 byte
    /// 8 + k — byte k of each row's scale dword once the dwords are widened to 64-bit lanes, row r in lane r; high
    /// bytes zero.
    /// </summary>
    public static byte[] ScaleSpread(int bytes, int k)
    {
        var idx = new byte[bytes];
        for (int p = 0; p < bytes; p++)
            idx[p] = p % 2 == 1 ? (byte)0x80 : (byte)(8 * ((p % 16) / 8) + k);
        return idx;
    }
}
