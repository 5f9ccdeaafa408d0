using System.Runtime.InteropServices;

namespace DeepSharp.Core.Quant;

/// <summary>
/// Scalar reference dot products of one quantized row with a vector. Two forms:
/// <see cref="Dot"/> dequantizes the row and multiplies by FP32 values (exact up to float rounding);
/// <see cref="DotQuantized"/> is ggml's vec_dot: the vector is first quantized to <see cref="VecDotType"/>
/// and the blocks are multiplied in integers, as llama.cpp's CPU matmul does.
/// </summary>
public static class VecDot
{
    /// <summary>row (n values of <paramref name="type"/>) · x (n floats), accumulated in FP32 one block at a time.</summary>
    public static float Dot(QuantType type, ReadOnlySpan<byte> row, ReadOnlySpan<float> x)
    {
        QuantRowCheck.ThrowIfMismatched(type, row.Length, x.Length, nameof(row));
        QuantTypeInfo info = QuantTypeInfo.Get(type);
        int blockBytes = info.BlockBytes, blockSize = info.BlockSize;
        // Element types are decoded in chunks of 256 so the scratch stays small.
        int chunk = blockSize == 1 ? 256 : blockSize;
        Span<float> scratch = stackalloc float[256];
        float sum = 0;
        for (int start = 0; start < x.Length; start += chunk)
        {
            int count = Math.Min(chunk, x.Length - start);
            Span<float> values = scratch[..count];
            Dequantize.Row(type, row.Slice(start / blockSize * blockBytes, count / blockSize * blockBytes), values);
            ReadOnlySpan<float> xs = x.Slice(start, count);
            for (int i = 0; i < count; i++) sum += values[i] * xs[i];
        }
        return sum;
    }

    /// <summary>The type the other operand is quantized to for <see cref="DotQuantized"/> (ggml type_traits_cpu vec_dot_type).</summary>
    public static QuantType VecDotType(QuantType type) => type switch
    {
        QuantType.Q4_0 or QuantType.Q5_0 or QuantType.Q8_0 or QuantType.IQ4_NL => QuantType.Q8_0,
        QuantType.Q4_1 or QuantType.Q5_1 => QuantType.Q8_1,
        QuantType.Q2_K or QuantType.Q3_K or QuantType.Q4_K or QuantType.Q5_K or QuantType.Q6_K or QuantType.IQ4_XS => QuantType.Q8_K,
        QuantType.F32 or QuantType.F16 or QuantType.BF16 => type,
        _ => throw new NotSupportedException($"no vec-dot pairing is implemented for {type}"),
    };

    /// <summary>
    /// ggml vec_dot reference: <paramref name="row"/> (type <paramref name="type"/>) · <paramref name="xq"/>, where
    /// <paramref name="xq"/> is the same number of values quantized with <see cref="VecDotType"/>.
    /// </summary>
    public static float DotQuantized(QuantType type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> xq)
    {
        QuantType other = VecDotType(type);
        QuantTypeInfo info = QuantTypeInfo.Get(type);
        long n = row.Length / info.BlockBytes * (long)info.BlockSize;
        if (row.Length % info.BlockBytes != 0)
            throw new ArgumentException($"{row.Length} bytes is not a whole number of {info.Name} blocks", nameof(row));
        QuantRowCheck.ThrowIfMismatched(other, xq.Length, checked((int)n), nameof(xq));
        return type switch
        {
            QuantType.F32 => FloatRows.DotF32(MemoryMarshal.Cast<byte, float>(row), MemoryMarshal.Cast<byte, float>(xq)),
            QuantType.F16 => FloatRows.DotF16(MemoryMarshal.Cast<byte, Half>(row), MemoryMarshal.Cast<byte, Half>(xq)),
            QuantType.BF16 => FloatRows.DotBF16(MemoryMarshal.Cast<byte, ushort>(row), MemoryMarshal.Cast<byte, ushort>(xq)),
            QuantType.Q4_0 => Q4_0.DotQ8_0(MemoryMarshal.Cast<byte, BlockQ4_0>(row), MemoryMarshal.Cast<byte, BlockQ8_0>(xq)),
            QuantType.Q4_1 => Q4_1.DotQ8_1(MemoryMarshal.Cast<byte, BlockQ4_1>(row), MemoryMarshal.Cast<byte, BlockQ8_1>(xq)),
            QuantType.Q5_0 => Q5_0.DotQ8_0(MemoryMarshal.Cast<byte, BlockQ5_0>(row), MemoryMarshal.Cast<byte, BlockQ8_0>(xq)),
            QuantType.Q5_1 => Q5_1.DotQ8_1(MemoryMarshal.Cast<byte, BlockQ5_1>(row), MemoryMarshal.Cast<byte, BlockQ8_1>(xq)),
            QuantType.Q8_0 => Q8_0.DotQ8_0(MemoryMarshal.Cast<byte, BlockQ8_0>(row), MemoryMarshal.Cast<byte, BlockQ8_0>(xq)),
            QuantType.IQ4_NL => IQ4NL.DotQ8_0(MemoryMarshal.Cast<byte, BlockIQ4NL>(row), MemoryMarshal.Cast<byte, BlockQ8_0>(xq)),
            QuantType.Q2_K => Q2K.DotQ8K(MemoryMarshal.Cast<byte, BlockQ2K>(row), MemoryMarshal.Cast<byte, BlockQ8K>(xq)),
            QuantType.Q3_K => Q3K.DotQ8K(MemoryMarshal.Cast<byte, BlockQ3K>(row), MemoryMarshal.Cast<byte, BlockQ8K>(xq)),
            QuantType.Q4_K => Q4K.DotQ8K(MemoryMarshal.Cast<byte, BlockQ4K>(row), MemoryMarshal.Cast<byte, BlockQ8K>(xq)),
            QuantType.Q5_K => Q5K.DotQ8K(MemoryMarshal.Cast<byte, BlockQ5K>(row), MemoryMarshal.Cast<byte, BlockQ8K>(xq)),
            QuantType.Q6_K => Q6K.DotQ8K(MemoryMarshal.Cast<byte, BlockQ6K>(row), MemoryMarshal.Cast<byte, BlockQ8K>(xq)),
            QuantType.IQ4_XS => IQ4XS.DotQ8K(MemoryMarshal.Cast<byte, BlockIQ4XS>(row), MemoryMarshal.Cast<byte, BlockQ8K>(xq)),
            _ => throw new NotSupportedException($"no vec-dot is implemented for {type}"),
        };
    }

    /// <summary>Convenience: quantizes <paramref name="x"/> with <see cref="VecDotType"/> and returns <see cref="DotQuantized"/>.</summary>
    public static float DotWithQuantizedActivations(QuantType type, ReadOnlySpan<byte> row, ReadOnlySpan<float> x)
    {
        QuantType other = VecDotType(type);
        byte[] xq = new byte[QuantTypeInfo.Get(other).RowBytes(x.Length)];
        Quantize.Row(other, x, xq);
        return DotQuantized(type, row, xq);
    }
}
