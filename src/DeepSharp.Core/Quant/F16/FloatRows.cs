using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// Element-wise types: F32, F16 (IEEE binary16) and BF16 (top 16 bits of an FP32), converted as ggml converts them
/// (ggml_fp32_to_fp16_row: round to nearest even; ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet).
/// </summary>
internal static class FloatRows
{
    public static void DequantizeF16(ReadOnlySpan<Half> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)x[i];
    }

    public static void QuantizeF16(ReadOnlySpan<float> x, Span<Half> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (Half)x[i];
    }

    public static float BF16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    public static ushort FloatToBF16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64); // NaN: force quiet
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }

    public static void DequantizeBF16(ReadOnlySpan<ushort> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = BF16ToFloat(x[i]);
    }

    public static void QuantizeBF16(ReadOnlySpan<float> x, Span<ushort> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = FloatToBF16(x[i]);
    }

    public static void DequantizeF32(ReadOnlySpan<byte> x, Span<float> y) => MemoryMarshal.Cast<byte, float>(x).CopyTo(y);

    public static void QuantizeF32(ReadOnlySpan<float> x, Span<byte> y) => MemoryMarshal.AsBytes(x).CopyTo(y);

    /// <summary>ggml_vec_dot_f16: products of the FP32 values, summed in double.</summary>
    public static float DotF16(ReadOnlySpan<Half> x, ReadOnlySpan<Half> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += (double)((float)x[i] * (float)y[i]);
        return (float)sum;
    }

    /// <summary>ggml_vec_dot_bf16: products of the FP32 values, summed in double.</summary>
    public static float DotBF16(ReadOnlySpan<ushort> x, ReadOnlySpan<ushort> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += (double)(BF16ToFloat(x[i]) * BF16ToFloat(y[i]));
        return (float)sum;
    }

    /// <summary>ggml_vec_dot_f32 (scalar path): float accumulation.</summary>
    public static float DotF32(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }
}
