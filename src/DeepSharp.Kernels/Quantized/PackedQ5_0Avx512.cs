using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Decode's token against a packed Q5_0 group (<see cref="Rows8Pack"/>) on AVX-512 with VBMI but without AVX-VNNI
/// (Zen 4): two rows per 512-bit step, their values unpacked together as unsigned 5-bit bytes q
/// (<see cref="TilesQ8_0.PackedQ5_0Block.UnsignedPair"/>: two byte permutes, a shift, a multishift, one ternary-logic
/// step), multiplied by the token's bytes (vpmaddubsw: 2·31·127 fits int16) and summed by 4, less 16·Σx by 4 (formed
/// once per block for all 8 rows): Σ q·x − 16·Σx = Σ (q − 16)·x, the exact int32 lanes of the scalar reference.
/// Each row then takes its fused multiply-add as in <see cref="TilesQ8_0.Rows8PackedRange{TBlock}"/>: bit-identical.
/// </summary>
/// <remarks>
/// Why: the general path unpacks one row at a time with a shuffle, a compare and masks into signed bytes and then
/// moves x's signs onto them, and ran these matrices at 9–12 GB/s on one thread of the Zen 4 host, in cache as out of
/// it — well below the stream (Q8_0's packed kernel: 28–30 GB/s) — so DeepSeek-V2-Lite's Q5_0 expert matrices
/// (12% of its bytes per token) were computed, not read, at 2 threads too. With AVX-VNNI the biased dpbusd form of
/// <see cref="TilesQ8_0"/> runs instead.
/// </remarks>
[SkipLocalsInit]
internal static unsafe class PackedQ5_0Avx512
{
    /// <summary>Whether decode's packed Q5_0 groups take this path: AVX-512 VBMI's multishift and no AVX-VNNI.</summary>
    public static readonly bool Applies = IntegerDotAvx2.FifthBitsByMultiShift && !AvxVnni.IsSupported;

    /// <summary>
    /// As <see cref="TilesQ8_0.Rows8PackedRange{TBlock}"/> for a packed Q5_0 group: blocks [b0, b1), block b at
    /// <paramref name="blocks"/> + b·176; the 8 accumulators from and back to <paramref name="acc"/> (null: zero)
    /// unless <paramref name="y"/> is given, which then takes their sums.
    /// </summary>
    [MethodImpl(KernelLoop.Options)]
    public static void Rows8Range(byte* blocks, in Int8Row x, int b0, int b1, Vector256<float>* acc, Span<float> y)
    {
        ref sbyte q = ref MemoryMarshal.GetReference(x.Quants);
        ref float xd = ref MemoryMarshal.GetReference(x.Scales);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> a4 = default, a5 = default, a6 = default, a7 = default;
        if (acc != null) (a0, a1, a2, a3, a4, a5, a6, a7) = (acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]);
        var (k0, k1, k2, k3) = (Vector256.Create(0), Vector256.Create(1), Vector256.Create(2), Vector256.Create(3));
        var (k4, k5, k6, k7) = (Vector256.Create(4), Vector256.Create(5), Vector256.Create(6), Vector256.Create(7));
        var sixteen = Vector512.Create((byte)16);
        for (int b = b0; b < b1; b++)
        {
            byte* blk = blocks + b * Rows8Pack.Q5_0BlockBytes;
            StreamPrefetch.Ahead(blk, Rows8Pack.Q5_0BlockBytes);
            // The token's block in both halves (one broadcast load), and 16·Σx by 4 for every row.
            var xx = Halves512.Broadcast((sbyte*)Unsafe.AsPointer(ref Unsafe.Add(ref q, 32 * b)));
            var offset = IntegerDotAvx512.UnsignedLanes(sixteen, xx);
            var d = Float.HalfVector.ToSingleFinite((short*)blk) * Vector256.Create(Unsafe.Add(ref xd, b));
            (a0, a1) = PairStep(blk, 0, xx, offset, d, k0, k1, a0, a1);
            (a2, a3) = PairStep(blk, 2, xx, offset, d, k2, k3, a2, a3);
            (a4, a5) = PairStep(blk, 4, xx, offset, d, k4, k5, a4, a5);
            (a6, a7) = PairStep(blk, 6, xx, offset, d, k6, k7, a6, a7);
        }
        TilesQ8_0.FinishRange(acc, y, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    // Rows k and k + 1 of the block: their exact lanes Σ (q − 16)·x by 4 (row k in the low half), converted to float
    // (exactly: |lane| ≤ 4·16·127), each into its row's accumulator with its scale product (lane kA / kB of d).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>) PairStep(byte* blk, nint k, Vector512<sbyte> xx, Vector512<int> offset,
        Vector256<float> d, Vector256<int> kA, Vector256<int> kB, Vector256<float> accA, Vector256<float> accB)
    {
        var f = Avx512F.ConvertToVector512Single(IntegerDotAvx512.UnsignedLanes(TilesQ8_0.PackedQ5_0Block.UnsignedPair(ref *blk, k), xx) - offset);
        return (Fma.MultiplyAdd(Avx2.PermuteVar8x32(d, kA), f.GetLower(), accA), Fma.MultiplyAdd(Avx2.PermuteVar8x32(d, kB), f.GetUpper(), accB));
    }
}
