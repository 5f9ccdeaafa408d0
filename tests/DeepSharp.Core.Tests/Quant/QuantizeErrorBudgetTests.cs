using DeepSharp.Core.Quant;

namespace DeepSharp.Core.Tests.Quant;

/// <summary>
/// llama.cpp tests/test-quantize-fns.cpp on its own synthetic data: quantize → dequantize error and vec-dot error
/// against the FP32 dot, with its budgets; plus the per-type dot errors ggml reaches (the table candle's
/// quantized_tests.rs keeps as ggml_reference_matmul_error, with its 1e-5 leniency).
/// </summary>
public class QuantizeErrorBudgetTests
{
    private const float MaxQuantizationTotalError = 0.002f;
    private const float MaxQuantizationTotalError2Bits = 0.0075f;
    private const float MaxQuantizationTotalError3Bits = 0.0040f;
    private const float MaxDotProductError = 0.02f;
    private const float MaxDotProductErrorLowBit = 0.04f;
    private const float GgmlErrorLeniency = 0.00001f;

    public static TheoryData<QuantType> QuantizableTypes => new()
    {
        QuantType.F16, QuantType.BF16, QuantType.Q4_0, QuantType.Q4_1, QuantType.Q5_0, QuantType.Q5_1, QuantType.Q8_0,
        QuantType.Q8_1, QuantType.Q2_K, QuantType.Q3_K, QuantType.Q4_K, QuantType.Q5_K, QuantType.Q6_K, QuantType.Q8_K,
    };

    [Theory]
    [MemberData(nameof(QuantizableTypes))]
    public void Round_trip_error_is_within_the_ggml_budget(QuantType type)
    {
        float[] data = QuantTestData.Generate(0.0f);
        float budget = type switch
        {
            QuantType.Q2_K => MaxQuantizationTotalError2Bits,
            QuantType.Q3_K => MaxQuantizationTotalError3Bits,
            _ => MaxQuantizationTotalError,
        };
        float error = QuantTestData.TotalQuantizationError(type, data);
        Assert.True(error < budget, $"{type}: quantization error {error} >= {budget}");
    }

    public static TheoryData<QuantType> DotTypes => new()
    {
        QuantType.F16, QuantType.BF16, QuantType.Q4_0, QuantType.Q4_1, QuantType.Q5_0, QuantType.Q5_1, QuantType.Q8_0,
        QuantType.Q2_K, QuantType.Q3_K, QuantType.Q4_K, QuantType.Q5_K, QuantType.Q6_K,
    };

    [Theory]
    [MemberData(nameof(DotTypes))]
    public void Vec_dot_error_is_within_the_ggml_budget(QuantType type)
    {
        float[] a = QuantTestData.Generate(0.0f);
        float[] b = QuantTestData.Generate(1.0f);
        float error = QuantTestData.DotProductError(type, a, b);
        float budget = type == QuantType.Q2_K ? MaxDotProductErrorLowBit : MaxDotProductError;
        Assert.True(error < budget, $"{type}: dot error {error} >= {budget}");
    }

    /// <summary>
    /// The dot errors ggml reached (candle's ggml_reference_matmul_error table), for the types whose format and
    /// quantizer have not changed since the table was taken. (Q4_1/Q5_1 moved Q8_1's sum to FP16 and the k-quants
    /// moved from make_qkx1 to make_qkx2 since; GgmlOracleTests compares those with today's ggml directly.)
    /// </summary>
    [Theory]
    [InlineData(QuantType.F16, 0.000010f)]
    [InlineData(QuantType.Q4_0, 0.001143f)]
    [InlineData(QuantType.Q5_0, 0.001353f)]
    [InlineData(QuantType.Q8_0, 0.000092f)]
    public void Vec_dot_error_equals_the_error_ggml_reaches(QuantType type, float ggmlError)
    {
        float[] a = QuantTestData.Generate(0.0f);
        float[] b = QuantTestData.Generate(1.0f);
        float error = QuantTestData.DotProductError(type, a, b);
        Assert.True(MathF.Abs(error - ggmlError) <= GgmlErrorLeniency, $"{type}: dot error {error}, ggml {ggmlError}");
    }

    [Fact]
    public void F32_round_trip_is_exact()
    {
        float[] data = QuantTestData.Generate(0.5f);
        Assert.Equal(0f, QuantTestData.TotalQuantizationError(QuantType.F32, data));
    }

    [Theory]
    [InlineData(QuantType.Q4_K)]
    [InlineData(QuantType.Q6_K)]
    [InlineData(QuantType.Q8_0)]
    public void All_zero_rows_quantize_to_zeros(QuantType type)
    {
        var zeros = new float[512];
        float[] back = QuantTestData.DequantizeRow(type, QuantTestData.QuantizeRow(type, zeros), zeros.Length);
        Assert.All(back, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Unsupported_targets_are_reported()
    {
        Assert.False(Quantize.CanQuantize(QuantType.IQ2_XXS));
        Assert.True(Quantize.CanQuantize(QuantType.Q4_K));
        Assert.Throws<NotSupportedException>(() => Quantize.Row(QuantType.IQ4_NL, new float[32], new byte[18]));
        Assert.Throws<ArgumentException>(() => Quantize.Row(QuantType.Q4_K, new float[255], new byte[144]));
    }
}
