using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// Every instruction-set path of the integer dots against the scalar reference, bit for bit, for every block
/// count up to a few (tails of the two-blocks-at-a-time loops included), odd row counts and several activation
/// scales; and the scalar reference against the plain float product of the decoded values.
/// </summary>
public sealed class IntegerDotPathTests
{
    public static TheoryData<QuantType, int> Cases()
    {
        var data = new TheoryData<QuantType, int>();
        foreach (var type in new[] { QuantType.Q8_0, QuantType.Q4_0, QuantType.Q5_0, QuantType.Q5_1 })
            foreach (int blocks in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 16, 17 })
                data.Add(type, 32 * blocks);
        foreach (var type in new[] { QuantType.Q4_K, QuantType.Q5_K, QuantType.Q6_K })
            foreach (int blocks in new[] { 1, 2, 3, 5 })
                data.Add(type, 256 * blocks);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Every_supported_path_equals_the_scalar_reference_bit_for_bit(QuantType type, int cols)
    {
        const int rows = 7, tokens = 3;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: cols + (int)type);
        var act = new Int8Activations(tokens, cols);
        var x = TestData.Random(tokens * cols, cols, 3f);
        for (int i = 0; i < cols; i++) x[cols + i] *= 1e-3f;          // a token of small activations
        x.AsSpan(2 * cols, Math.Min(32, cols)).Clear();                // a zero block
        act.Quantize(ActivationRounding.PartnerOf(type), x, tokens, cols);
        foreach (var isa in KernelIsaSelection.SupportedPaths)
            for (int t = 0; t < tokens; t++)
                for (int r = 0; r < rows; r++)
                {
                    TestData.AssertSameBits(IntegerDot.Dot(KernelIsa.Scalar, type, w.Row(r), act.Row(t)),
                        IntegerDot.Dot(isa, type, w.Row(r), act.Row(t)), $"{type} cols={cols} {isa} t={t} r={r}");
                    if (IntegerDot.LlamaRepacks(type, 8))
                        TestData.AssertSameBits(IntegerDot.DotRepacked(KernelIsa.Scalar, type, w.Row(r), act.Row(t)),
                            IntegerDot.DotRepacked(isa, type, w.Row(r), act.Row(t)), $"{type}x8 cols={cols} {isa} t={t} r={r}");
                }
        GC.KeepAlive(keep);
    }

    [Theory]
    [InlineData(QuantType.Q4_0, 32)]
    [InlineData(QuantType.Q4_0, 96)]
    [InlineData(QuantType.Q4_0, 544)]
    [InlineData(QuantType.Q4_K, 256)]
    [InlineData(QuantType.Q4_K, 768)]
    public void Eight_row_kernel_equals_the_scalar_per_row_reference(QuantType type, int cols)
    {
        if (!KernelIsaSelection.IsSupported(KernelIsa.Avx2)) return;   // an AVX2 kernel; nothing to compare elsewhere
        const int rows = 16;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: 3 * cols + (int)type);
        var act = new Int8Activations(2, cols);
        act.Quantize(ActivationRounding.PartnerOf(type), TestData.Random(2 * cols, cols, 2f), 2, cols);
        var y = new float[8];
        for (int t = 0; t < 2; t++)
            for (int r0 = 0; r0 < rows; r0 += 8)
            {
                IntegerDotRows8.Dot(w, r0, act.Row(t), y);
                for (int i = 0; i < 8; i++)
                    TestData.AssertSameBits(IntegerDot.DotRepacked(KernelIsa.Scalar, type, w.Row(r0 + i), act.Row(t)), y[i], $"{type} cols={cols} t={t} row {r0 + i}");
            }
        GC.KeepAlive(keep);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Scalar_reference_equals_the_float_product_of_the_decoded_values(QuantType type, int cols)
    {
        var (w, keep) = TestData.Weight(type, 3, cols, seed: 7 * cols + (int)type);
        var x = TestData.Random(cols, cols + 1, 2f);
        var act = new Int8Activations(1, cols);
        var partner = ActivationRounding.PartnerOf(type);
        act.Quantize(partner, x, 1, cols);
        var xr = new float[cols];
        ActivationRounding.Round(partner, x, xr);
        var row = new float[cols];
        for (int r = 0; r < 3; r++)
        {
            Dequantize.Row(type, w.Row(r), row);
            double expected = 0, magnitude = 0;
            for (int i = 0; i < cols; i++)
            {
                expected += (double)row[i] * xr[i];
                magnitude += Math.Abs((double)row[i] * xr[i]);
            }
            float actual = IntegerDot.Dot(KernelIsa.Scalar, type, w.Row(r), act.Row(0));
            if (IntegerDot.LlamaRepacks(type, 8))
            {
                float repacked = IntegerDot.DotRepacked(KernelIsa.Scalar, type, w.Row(r), act.Row(0));
                Assert.True(Math.Abs(expected - repacked) <= 1e-5 * magnitude + 1e-6, $"{type}x8 cols={cols} r={r}: {expected} vs {repacked}");
            }
            // Q8_1 keeps each block's d·Σq as f16 (as ggml does), so Q5_1's min term carries f16 rounding (2^-11).
            double relative = type == QuantType.Q5_1 ? 1e-3 : 1e-5;
            Assert.True(Math.Abs(expected - actual) <= relative * magnitude + 1e-6, $"{type} cols={cols} r={r}: {expected} vs {actual}");
        }
        GC.KeepAlive(keep);
    }

    [Fact]
    public void Forced_instruction_set_names_are_parsed_and_checked()
    {
        Assert.Equal(KernelIsa.Scalar, KernelIsaSelection.Select("scalar"));
        Assert.Equal(KernelIsa.Avx2, KernelIsaSelection.Select("AVX2") is var a && KernelIsaSelection.IsSupported(KernelIsa.Avx2) ? a : KernelIsa.Avx2);
        Assert.Equal(KernelIsaSelection.Best, KernelIsaSelection.Select(null));
        Assert.Throws<InvalidOperationException>(() => KernelIsaSelection.Select("sse9"));
        Assert.Throws<InvalidOperationException>(() => KernelIsaSelection.Select("2"));
        foreach (var isa in Enum.GetValues<KernelIsa>().Where(i => !KernelIsaSelection.IsSupported(i)))
            Assert.Throws<PlatformNotSupportedException>(() => KernelIsaSelection.Select(isa.ToString()));
    }
}
