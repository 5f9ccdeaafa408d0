using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>Scalar reference dequantization of one row of any supported GGUF tensor type (ggml dequantize_row_*).</summary>
public static class Dequantize
{
    /// <summary>Whether <see cref="Row"/> accepts <paramref name="type"/>.</summary>
    public static bool CanDequantize(QuantType type) => type switch
    {
        QuantType.F32 or QuantType.F16 or QuantType.BF16 or QuantType.Q4_0 or QuantType.Q4_1 or QuantType.Q5_0
            or QuantType.Q5_1 or QuantType.Q8_0 or QuantType.Q8_1 or QuantType.Q2_K or QuantType.Q3_K or QuantType.Q4_K
            or QuantType.Q5_K or QuantType.Q6_K or QuantType.Q8_K or QuantType.IQ4_NL or QuantType.IQ4_XS => true,
        _ => false,
    };

    /// <summary>Decodes <paramref name="src"/> (whole blocks of <paramref name="type"/>) into <paramref name="dst"/>; dst.Length is the element count.</summary>
    /// <exception cref="ArgumentException">Sizes do not match a whole number of blocks.</exception>
    /// <exception cref="NotSupportedException">The type has no dequantizer.</exception>
    public static void Row(QuantType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        QuantRowCheck.ThrowIfMismatched(type, src.Length, dst.Length, nameof(src));
        switch (type)
        {
            case QuantType.F32: FloatRows.DequantizeF32(src, dst); break;
            case QuantType.F16: FloatRows.DequantizeF16(MemoryMarshal.Cast<byte, Half>(src), dst); break;
            case QuantType.BF16: FloatRows.DequantizeBF16(MemoryMarshal.Cast<byte, ushort>(src), dst); break;
            case QuantType.Q4_0: Q4_0.Dequantize(MemoryMarshal.Cast<byte, BlockQ4_0>(src), dst); break;
            case QuantType.Q4_1: Q4_1.Dequantize(MemoryMarshal.Cast<byte, BlockQ4_1>(src), dst); break;
            case QuantType.Q5_0: Q5_0.Dequantize(MemoryMarshal.Cast<byte, BlockQ5_0>(src), dst); break;
            case QuantType.Q5_1: Q5_1.Dequantize(MemoryMarshal.Cast<byte, BlockQ5_1>(src), dst); break;
            case QuantType.Q8_0: Q8_0.Dequantize(MemoryMarshal.Cast<byte, BlockQ8_0>(src), dst); break;
            case QuantType.Q8_1: Q8_1.Dequantize(MemoryMarshal.Cast<byte, BlockQ8_1>(src), dst); break;
            case QuantType.Q2_K: Q2K.Dequantize(MemoryMarshal.Cast<byte, BlockQ2K>(src), dst); break;
            case QuantType.Q3_K: Q3K.Dequantize(MemoryMarshal.Cast<byte, BlockQ3K>(src), dst); break;
            case QuantType.Q4_K: Q4K.Dequantize(MemoryMarshal.Cast<byte, BlockQ4K>(src), dst); break;
            case QuantType.Q5_K: Q5K.Dequantize(MemoryMarshal.Cast<byte, BlockQ5K>(src), dst); break;
            case QuantType.Q6_K: Q6K.Dequantize(MemoryMarshal.Cast<byte, BlockQ6K>(src), dst); break;
            case QuantType.Q8_K: Q8K.Dequantize(MemoryMarshal.Cast<byte, BlockQ8K>(src), dst); break;
            case QuantType.IQ4_NL: IQ4NL.Dequantize(MemoryMarshal.Cast<byte, BlockIQ4NL>(src), dst); break;
            case QuantType.IQ4_XS: IQ4XS.Dequantize(MemoryMarshal.Cast<byte, BlockIQ4XS>(src), dst); break;
            default: throw new NotSupportedException($"dequantizing {type} is not implemented");
        }
    }
}
