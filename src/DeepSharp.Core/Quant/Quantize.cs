using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// Scalar reference quantization of one row, producing what ggml's reference quantizers produce without an
/// importance matrix (quantize_row_*_ref, which llama-quantize uses when no imatrix is given).
/// </summary>
public static class Quantize
{
    /// <summary>Whether <see cref="Row"/> can produce <paramref name="type"/>.</summary>
    public static bool CanQuantize(QuantType type) => type switch
    {
        QuantType.F32 or QuantType.F16 or QuantType.BF16 or QuantType.Q4_0 or QuantType.Q4_1 or QuantType.Q5_0
            or QuantType.Q5_1 or QuantType.Q8_0 or QuantType.Q8_1 or QuantType.Q2_K or QuantType.Q3_K or QuantType.Q4_K
            or QuantType.Q5_K or QuantType.Q6_K or QuantType.Q8_K => true,
        _ => false,
    };

    /// <summary>Encodes <paramref name="src"/> (a whole number of blocks) as <paramref name="type"/> into <paramref name="dst"/>.</summary>
    /// <exception cref="ArgumentException">Sizes do not match a whole number of blocks.</exception>
    /// <exception cref="NotSupportedException">The type has no quantizer (see <see cref="CanQuantize"/>).</exception>
    public static void Row(QuantType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        QuantRowCheck.ThrowIfMismatched(type, dst.Length, src.Length, nameof(dst));
        switch (type)
        {
            case QuantType.F32: FloatRows.QuantizeF32(src, dst); break;
            case QuantType.F16: FloatRows.QuantizeF16(src, MemoryMarshal.Cast<byte, Half>(dst)); break;
            case QuantType.BF16: FloatRows.QuantizeBF16(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
            case QuantType.Q4_0: Q4_0.Quantize(src, MemoryMarshal.Cast<byte, BlockQ4_0>(dst)); break;
            case QuantType.Q4_1: Q4_1.Quantize(src, MemoryMarshal.Cast<byte, BlockQ4_1>(dst)); break;
            case QuantType.Q5_0: Q5_0.Quantize(src, MemoryMarshal.Cast<byte, BlockQ5_0>(dst)); break;
            case QuantType.Q5_1: Q5_1.Quantize(src, MemoryMarshal.Cast<byte, BlockQ5_1>(dst)); break;
            case QuantType.Q8_0: Q8_0.Quantize(src, MemoryMarshal.Cast<byte, BlockQ8_0>(dst)); break;
            case QuantType.Q8_1: Q8_1.Quantize(src, MemoryMarshal.Cast<byte, BlockQ8_1>(dst)); break;
            case QuantType.Q2_K: Q2K.Quantize(src, MemoryMarshal.Cast<byte, BlockQ2K>(dst)); break;
            case QuantType.Q3_K: Q3K.Quantize(src, MemoryMarshal.Cast<byte, BlockQ3K>(dst)); break;
            case QuantType.Q4_K: Q4K.Quantize(src, MemoryMarshal.Cast<byte, BlockQ4K>(dst)); break;
            case QuantType.Q5_K: Q5K.Quantize(src, MemoryMarshal.Cast<byte, BlockQ5K>(dst)); break;
            case QuantType.Q6_K: Q6K.Quantize(src, MemoryMarshal.Cast<byte, BlockQ6K>(dst)); break;
            case QuantType.Q8_K: Q8K.Quantize(src, MemoryMarshal.Cast<byte, BlockQ8K>(dst)); break;
            default: throw new NotSupportedException($"quantizing to {type} is not implemented");
        }
    }
}
