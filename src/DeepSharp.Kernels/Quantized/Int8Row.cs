namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// One token's quantized activations as the integer dots read them: int8 quants, per-block scales (Q8_0/Q8_1 per
/// 32 values, Q8_K per 256), Q8_1's per-block sums and Q8_K's 16-value sums ("bsums").
/// </summary>
public readonly ref struct Int8Row(ReadOnlySpan<sbyte> quants, ReadOnlySpan<float> scales, ReadOnlySpan<float> sums, ReadOnlySpan<short> blockSums)
{
    public ReadOnlySpan<sbyte> Quants { get; } = quants;
    public ReadOnlySpan<float> Scales { get; } = scales;
    public ReadOnlySpan<float> Sums { get; } = sums;
    public ReadOnlySpan<short> BlockSums { get; } = blockSums;
}
