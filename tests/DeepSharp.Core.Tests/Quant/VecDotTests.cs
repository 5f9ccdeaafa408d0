using System.Runtime.InteropServices;
using DeepSharp.Core.Quant;

namespace DeepSharp.Core.Tests.Quant;

public class VecDotTests
{
    public static TheoryData<QuantType> DequantizableTypes => new()
    {
        QuantType.F32, QuantType.F16, QuantType.BF16, QuantType.Q4_0, QuantType.Q4_1, QuantType.Q5_0, QuantType.Q5_1,
        QuantType.Q8_0, QuantType.Q8_1, QuantType.Q2_K, QuantType.Q3_K, QuantType.Q4_K, QuantType.Q5_K, QuantType.Q6_K,
        QuantType.Q8_K, QuantType.IQ4_NL, QuantType.IQ4_XS,
    };

    public static TheoryData<QuantType> VecDotRowTypes => new()
    {
        QuantType.F32, QuantType.F16, QuantType.BF16, QuantType.Q4_0, QuantType.Q4_1, QuantType.Q5_0, QuantType.Q5_1,
        QuantType.Q8_0, QuantType.Q2_K, QuantType.Q3_K, QuantType.Q4_K, QuantType.Q5_K, QuantType.Q6_K,
        QuantType.IQ4_NL, QuantType.IQ4_XS,
    };

    /// <summary>A row of 1024 values: quantized from the synthetic data, or (IQ4 types, no quantizer) random blocks with a sane scale.</summary>
    private static byte[] MakeRow(QuantType type, int n = 1024)
    {
        if (Quantize.CanQuantize(type)) return QuantTestData.QuantizeRow(type, QuantTestData.Generate(0.25f, n));
        var row = new byte[QuantTypeInfo.Get(type).RowBytes(n)];
        new Random(1234).NextBytes(row);
        int blockBytes = QuantTypeInfo.Get(type).BlockBytes;
        for (int offset = 0; offset < row.Length; offset += blockBytes)
            MemoryMarshal.Write(row.AsSpan(offset), (Half)0.01f); // D is the first field of both IQ4 blocks
        return row;
    }

    [Theory]
    [MemberData(nameof(DequantizableTypes))]
    public void Dot_equals_the_dot_of_the_dequantized_row(QuantType type)
    {
        byte[] row = MakeRow(type);
        float[] x = QuantTestData.Generate(3f, 1024);
        float[] w = QuantTestData.DequantizeRow(type, row, 1024);
        float expected = QuantTestData.Dot(w, x);
        float actual = VecDot.Dot(type, row, x);
        Assert.True(MathF.Abs(actual - expected) <= 1e-5f * (1 + MathF.Abs(expected)), $"{type}: {actual} vs {expected}");
    }

    [Theory]
    [MemberData(nameof(VecDotRowTypes))]
    public void Quantized_dot_equals_the_dot_of_both_dequantized_operands(QuantType type)
    {
        // The integer dot must compute exactly Σ w·a over the two decoded rows; only float rounding may differ.
        byte[] row = MakeRow(type);
        QuantType activationType = VecDot.VecDotType(type);
        byte[] xq = QuantTestData.QuantizeRow(activationType, QuantTestData.Generate(3f, 1024));
        float[] w = QuantTestData.DequantizeRow(type, row, 1024);
        float[] a = QuantTestData.DequantizeRow(activationType, xq, 1024);
        double expected = 0, magnitude = 0;
        for (int i = 0; i < w.Length; i++)
        {
            expected += (double)w[i] * a[i];
            magnitude += Math.Abs((double)w[i] * a[i]);
        }
        float actual = VecDot.DotQuantized(type, row, xq);
        // Q8_1 carries d·Σq in an FP16 field that the Q4_1/Q5_1 dots use for the minimum term (2^-11 relative).
        double tolerance = activationType == QuantType.Q8_1 ? 1e-3 : 1e-5;
        Assert.True(Math.Abs(actual - expected) <= tolerance * magnitude, $"{type}: {actual} vs {expected}");
    }

    [Fact]
    public void Vec_dot_pairs_match_ggml()
    {
        Assert.Equal(QuantType.Q8_0, VecDot.VecDotType(QuantType.Q4_0));
        Assert.Equal(QuantType.Q8_0, VecDot.VecDotType(QuantType.Q8_0));
        Assert.Equal(QuantType.Q8_1, VecDot.VecDotType(QuantType.Q4_1));
        Assert.Equal(QuantType.Q8_K, VecDot.VecDotType(QuantType.Q4_K));
        Assert.Equal(QuantType.Q8_K, VecDot.VecDotType(QuantType.Q6_K));
        Assert.Equal(QuantType.F16, VecDot.VecDotType(QuantType.F16));
    }

    [Fact]
    public void Quantized_activation_dot_tracks_the_float_dot()
    {
        float[] w = QuantTestData.Generate(0f);
        float[] x = QuantTestData.Generate(1f);
        byte[] row = QuantTestData.QuantizeRow(QuantType.Q4_K, w);
        float viaInt = VecDot.DotWithQuantizedActivations(QuantType.Q4_K, row, x);
        float viaFloat = VecDot.Dot(QuantType.Q4_K, row, x);
        Assert.True(MathF.Abs(viaInt - viaFloat) / w.Length < 0.002f);
    }

    [Fact]
    public void Mismatched_operands_are_rejected()
    {
        byte[] row = MakeRow(QuantType.Q4_K, 256);
        Assert.Throws<ArgumentException>(() => VecDot.Dot(QuantType.Q4_K, row, new float[512]));
        Assert.Throws<ArgumentException>(() => VecDot.DotQuantized(QuantType.Q4_K, row, new byte[34]));
    }
}
