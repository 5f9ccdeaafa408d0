using DeepSharp.Core.Quant;

namespace DeepSharp.Core.Tests.Quant;

/// <summary>Our scalar references against ggml's own, called in the llama.cpp build LLamaSharp ships.</summary>
public class GgmlOracleTests
{
    private const int N = 4096;

    /// <summary>Data sets: test-quantize-fns' cosine, seeded Gaussian weights (σ 0.02, like LLM weights) with a few outliers, and a
    /// mix with zero runs and constant stretches (edge cases of the scale searches).</summary>
    public static TheoryData<string> DataSets => new() { "cosine", "gaussian", "edges" };

    private static float[] Data(string name)
    {
        switch (name)
        {
            case "cosine":
                return QuantTestData.Generate(0.0f, N);
            case "gaussian":
            {
                var rng = new Random(42);
                var x = new float[N];
                for (int i = 0; i < N; i++)
                {
                    double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                    x[i] = (float)(0.02 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
                }
                for (int i = 7; i < N; i += 509) x[i] *= 40; // outliers
                return x;
            }
            default:
            {
                var x = QuantTestData.Generate(0.3f, N, 0.5f);
                x.AsSpan(0, 300).Clear();         // an all-zero super-block and part of the next
                x.AsSpan(1024, 256).Fill(0.75f);  // a constant super-block
                x.AsSpan(2048, 64).Fill(-1e-3f);  // tiny negatives
                return x;
            }
        }
    }

    public static TheoryData<QuantType, string> QuantizeCases()
    {
        var cases = new TheoryData<QuantType, string>();
        QuantType[] types = [QuantType.F16, QuantType.BF16, QuantType.Q4_0, QuantType.Q4_1, QuantType.Q5_0, QuantType.Q5_1,
            QuantType.Q8_0, QuantType.Q8_1, QuantType.Q2_K, QuantType.Q3_K, QuantType.Q4_K, QuantType.Q5_K, QuantType.Q6_K, QuantType.Q8_K];
        foreach (QuantType t in types)
        {
            foreach (string d in new[] { "cosine", "gaussian", "edges" }) cases.Add(t, d);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(QuantizeCases))]
    public void Quantized_blocks_are_byte_identical_to_ggml_reference(QuantType type, string dataSet)
    {
        float[] x = Data(dataSet);
        byte[] expected = GgmlReference.QuantizeRow(type, x);
        byte[] actual = QuantTestData.QuantizeRow(type, x);
        if (type == QuantType.Q8_K) ClearUnwrittenQ8KSums(x, expected);
        int blockBytes = QuantTypeInfo.Get(type).BlockBytes;
        var differing = new List<int>();
        for (int b = 0; b < expected.Length / blockBytes; b++)
        {
            if (!expected.AsSpan(b * blockBytes, blockBytes).SequenceEqual(actual.AsSpan(b * blockBytes, blockBytes))) differing.Add(b);
        }
        Assert.True(differing.Count == 0, $"{type}/{dataSet}: {differing.Count} of {expected.Length / blockBytes} blocks differ, first {string.Join(",", differing.Take(5))}");
    }

    /// <summary>ggml's Q8_K quantizer leaves bsums unwritten for an all-zero block; ours writes zeros.</summary>
    private static void ClearUnwrittenQ8KSums(float[] x, byte[] q)
    {
        for (int b = 0; b < x.Length / 256; b++)
        {
            if (x.AsSpan(b * 256, 256).ContainsAnyExcept(0f)) continue;
            q.AsSpan(b * 292 + 260, 32).Clear();
        }
    }

    public static TheoryData<QuantType> DequantizeTypes => new()
    {
        QuantType.F16, QuantType.BF16, QuantType.Q4_0, QuantType.Q4_1, QuantType.Q5_0, QuantType.Q5_1, QuantType.Q8_0,
        QuantType.Q2_K, QuantType.Q3_K, QuantType.Q4_K, QuantType.Q5_K, QuantType.Q6_K, QuantType.Q8_K, QuantType.IQ4_NL, QuantType.IQ4_XS,
    };

    [Theory]
    [MemberData(nameof(DequantizeTypes))]
    public void Dequantized_values_are_identical_to_ggml(QuantType type)
    {
        // Blocks come from ggml's own quantizer (the only source for IQ4_NL/IQ4_XS, which we only decode).
        byte[] q = GgmlReference.QuantizeRow(type, Data("gaussian"));
        float[] expected = GgmlReference.DequantizeRow(type, q, N);
        float[] actual = QuantTestData.DequantizeRow(type, q, N);
        for (int i = 0; i < N; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{type}[{i}]: {actual[i]} vs ggml {expected[i]}");
    }

    public static TheoryData<QuantType> VecDotTypes => new()
    {
        QuantType.Q4_0, QuantType.Q4_1, QuantType.Q5_0, QuantType.Q5_1, QuantType.Q8_0,
        QuantType.Q2_K, QuantType.Q3_K, QuantType.Q4_K, QuantType.Q5_K, QuantType.Q6_K, QuantType.IQ4_NL, QuantType.IQ4_XS,
    };

    [Theory]
    [MemberData(nameof(VecDotTypes))]
    public void Vec_dot_matches_ggml_generic(QuantType type)
    {
        byte[] row = GgmlReference.QuantizeRow(type, Data("gaussian"));
        byte[] xq = GgmlReference.QuantizeRow(VecDot.VecDotType(type), Data("cosine"));
        float expected = GgmlReference.VecDotGeneric(type, row, xq, N);
        float actual = VecDot.DotQuantized(type, row, xq);
        // Same integer sums; only the order of the float accumulation of per-block terms differs.
        Assert.True(MathF.Abs(actual - expected) <= 1e-5f * MathF.Max(1f, MathF.Abs(expected)), $"{type}: {actual} vs ggml {expected}");
    }
}
