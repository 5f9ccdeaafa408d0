using DeepSharp.Core.Quant;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Row · quantized activations with llama.cpp's integer dot products (its AVX2 vec_dot kernels): per block,
/// exact integer sums in 8 lanes of 4 consecutive products (times the sub-block scale for k-quants), each lane
/// accumulated in float with one fused multiply-add by the block's combined scale, then the lanes reduced in
/// ggml's pairwise order. The result is bit-identical to llama.cpp's, which matters because the next layer
/// quantizes it again: a last-bit difference can move an element to the next int8 step and grow into a
/// different greedy token. Every instruction-set path (<see cref="KernelIsa"/>) gives the same bits.
/// </summary>
public static class IntegerDot
{
    /// <summary>Weight types computed here; others use the decoded-row float path.</summary>
    public static bool Supports(QuantType weight) =>
        weight is QuantType.Q8_0 or QuantType.Q4_0 or QuantType.Q5_0 or QuantType.Q5_1 or QuantType.Q4_K or QuantType.Q5_K or QuantType.Q6_K;

    /// <summary>
    /// Whether llama.cpp's CPU backend (x86 with AVX2) repacks this matrix into 8-row interleaved blocks and so
    /// sums it differently from vec_dot: one float accumulator per row, each block's whole integer sum added with
    /// one fused multiply-add (Q4_0 and Q4_K with a row count that is a multiple of 8).
    /// </summary>
    public static bool LlamaRepacks(QuantType weight, long rows) => weight is QuantType.Q4_0 or QuantType.Q4_K && rows % 8 == 0;

    /// <summary>Row · token <paramref name="token"/> of <paramref name="x"/> on the selected instruction set.</summary>
    public static float Dot(QuantType weight, ReadOnlySpan<byte> row, Int8Activations x, int token)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Dot(KernelIsaSelection.Current, weight, row, x.Row(token));
    }

    /// <summary>Row · one token's activations, summed as llama.cpp sums a repacked 8-row matrix (<see cref="LlamaRepacks"/>).</summary>
    public static float DotRepacked(KernelIsa isa, QuantType weight, ReadOnlySpan<byte> row, in Int8Row x) => (isa, weight) switch
    {
        (KernelIsa.Avx512 or KernelIsa.Avx2, QuantType.Q4_0) => IntegerDotAvx2.Q4_0x8(row, x),
        (KernelIsa.Avx512, QuantType.Q4_K) => IntegerDotAvx512.Q4Kx8(row, x),
        (KernelIsa.Avx2, QuantType.Q4_K) => IntegerDotAvx2.Q4Kx8(row, x),
        (KernelIsa.Vector128, QuantType.Q4_0) => IntegerDotVector128.Q4_0x8(row, x),
        (KernelIsa.Vector128, QuantType.Q4_K) => IntegerDotVector128.Q4Kx8(row, x),
        (_, QuantType.Q4_0) => IntegerDotScalar.Q4_0x8(row, x),
        (_, QuantType.Q4_K) => IntegerDotScalar.Q4Kx8(row, x),
        _ => throw Unsupported(weight),
    };

    /// <summary>Row · one token's quantized activations on instruction set <paramref name="isa"/>.</summary>
    public static float Dot(KernelIsa isa, QuantType weight, ReadOnlySpan<byte> row, in Int8Row x) => isa switch
    {
        KernelIsa.Avx512 => Avx512(weight, row, x),
        KernelIsa.Avx2 => Avx2(weight, row, x),
        KernelIsa.Vector128 => Vector128(weight, row, x),
        _ => Scalar(weight, row, x),
    };

    private static float Avx512(QuantType weight, ReadOnlySpan<byte> row, in Int8Row x) => weight switch
    {
        QuantType.Q8_0 => IntegerDotAvx512.Q8_0(row, x),
        QuantType.Q4_0 => IntegerDotAvx512.Q4_0(row, x),
        QuantType.Q4_K => IntegerDotAvx512.Q4K(row, x),
        QuantType.Q5_K => IntegerDotAvx512.Q5K(row, x),
        _ => Avx2(weight, row, x),   // Q6_K: one row on 512-bit vectors measured slower than the AVX2 dot here
    };

    private static float Avx2(QuantType weight, ReadOnlySpan<byte> row, in Int8Row x) => weight switch
    {
        QuantType.Q8_0 => IntegerDotAvx2.Q8_0(row, x),
        QuantType.Q4_0 => IntegerDotAvx2.Q4_0(row, x),
        QuantType.Q5_0 => IntegerDotAvx2.Q5_0(row, x),
        QuantType.Q5_1 => IntegerDotAvx2.Q5_1(row, x),
        QuantType.Q4_K => IntegerDotAvx2.Q4K(row, x),
        QuantType.Q5_K => IntegerDotAvx2.Q5K(row, x),
        QuantType.Q6_K => IntegerDotAvx2.Q6K(row, x),
        _ => throw Unsupported(weight),
    };

    private static float Vector128(QuantType weight, ReadOnlySpan<byte> row, in Int8Row x) => weight switch
    {
        QuantType.Q8_0 => IntegerDotVector128.Q8_0(row, x),
        QuantType.Q4_0 => IntegerDotVector128.Q4_0(row, x),
        QuantType.Q5_0 => IntegerDotVector128.Q5_0(row, x),
        QuantType.Q5_1 => IntegerDotVector128.Q5_1(row, x),
        QuantType.Q4_K => IntegerDotVector128.Q4K(row, x),
        QuantType.Q5_K => IntegerDotVector128.Q5K(row, x),
        QuantType.Q6_K => IntegerDotVector128.Q6K(row, x),
        _ => throw Unsupported(weight),
    };

    private static float Scalar(QuantType weight, ReadOnlySpan<byte> row, in Int8Row x) => weight switch
    {
        QuantType.Q8_0 => IntegerDotScalar.Q8_0(row, x),
        QuantType.Q4_0 => IntegerDotScalar.Q4_0(row, x),
        QuantType.Q5_0 => IntegerDotScalar.Q5_0(row, x),
        QuantType.Q5_1 => IntegerDotScalar.Q5_1(row, x),
        QuantType.Q4_K => IntegerDotScalar.Q4K(row, x),
        QuantType.Q5_K => IntegerDotScalar.Q5K(row, x),
        QuantType.Q6_K => IntegerDotScalar.Q6K(row, x),
        _ => throw Unsupported(weight),
    };

    private static NotSupportedException Unsupported(QuantType weight) => new($"no integer dot for {weight}");
}
