using DeepSharp.Core.Quant;

namespace DeepSharp.Core.Tests.Quant;

/// <summary>The synthetic data and error measures of llama.cpp tests/test-quantize-fns.cpp.</summary>
internal static class QuantTestData
{
    /// <summary>test-quantize-fns test_size (32 × 128).</summary>
    public const int Size = 32 * 128;

    /// <summary>generate_data: 0.1 + amplitude·cos(i + offset), computed as the C code does (float cos, double add).</summary>
    public static float[] Generate(float offset, int n = Size, float amplitude = 2.0f)
    {
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float)(0.1 + (double)(amplitude * MathF.Cos(i + offset)));
        return data;
    }

    /// <summary>array_rmse: sqrt(Σ diff²) / n (ggml's "RMSE", which divides by n outside the root).</summary>
    public static float ArrayRmse(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = a[i] - b[i];
            sum += diff * diff;
        }
        return (float)Math.Sqrt(sum) / a.Length;
    }

    /// <summary>dot_product: FP32 products summed in double.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return (float)sum;
    }

    public static byte[] QuantizeRow(QuantType type, ReadOnlySpan<float> x)
    {
        var q = new byte[QuantTypeInfo.Get(type).RowBytes(x.Length)];
        Quantize.Row(type, x, q);
        return q;
    }

    public static float[] DequantizeRow(QuantType type, ReadOnlySpan<byte> q, int n)
    {
        var y = new float[n];
        Dequantize.Row(type, q, y);
        return y;
    }

    /// <summary>total_quantization_error: RMSE of quantize → dequantize.</summary>
    public static float TotalQuantizationError(QuantType type, float[] data) =>
        ArrayRmse(data, DequantizeRow(type, QuantizeRow(type, data), data.Length));

    /// <summary>dot_product_error: |vec_dot(quantized a, vec-dot-quantized b) − a·b| / n.</summary>
    public static float DotProductError(QuantType type, float[] a, float[] b)
    {
        byte[] qa = QuantizeRow(type, a);
        byte[] qb = QuantizeRow(VecDot.VecDotType(type), b);
        float result = VecDot.DotQuantized(type, qa, qb);
        return MathF.Abs(result - Dot(a, b)) / a.Length;
    }
}
