using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Tests;

public sealed class QuantizedTests
{
    public static TheoryData<QuantType> WeightTypes() =>
    [
        QuantType.F32, QuantType.F16, QuantType.BF16, QuantType.Q8_0, QuantType.Q4_0, QuantType.Q4_1, QuantType.Q5_0,
        QuantType.Q2_K, QuantType.Q3_K, QuantType.Q4_K, QuantType.Q5_K, QuantType.Q6_K,
    ];

    [Theory, MemberData(nameof(WeightTypes))]
    public void RowDecoder_equals_the_Core_reference_exactly(QuantType type)
    {
        var (w, keep) = TestData.Weight(type, rows: 3, cols: 512, seed: (int)type);
        var expected = new float[512];
        var actual = new float[512];
        for (int r = 0; r < 3; r++)
        {
            Dequantize.Row(type, w.Row(r), expected);
            RowDecoder.Decode(type, w.Row(r), actual);
            Assert.Equal(expected, actual);
        }
        GC.KeepAlive(keep);
    }

    [Theory, MemberData(nameof(TestData.Lengths1To256), MemberType = typeof(TestData))]
    public void Half_and_bfloat_rows_of_every_length_decode_as_the_Core_reference(int cols)
    {
        foreach (var type in new[] { QuantType.F16, QuantType.BF16 })
        {
            var (w, keep) = TestData.Weight(type, rows: 1, cols, seed: cols);
            var expected = new float[cols];
            var actual = new float[cols];
            Dequantize.Row(type, w.Row(0), expected);
            RowDecoder.Decode(type, w.Row(0), actual);
            Assert.Equal(expected, actual);
            GC.KeepAlive(keep);
        }
    }

    [Fact]
    public void Q8_0_activation_rounding_matches_Core_quantize_within_one_step()
    {
        var x = TestData.Random(1024, 5, 4f);
        var viaCore = RoundTrip(QuantType.Q8_0, x);
        var rounded = new float[x.Length];
        Assert.True(ActivationRounding.Round(QuantType.Q8_0, x, rounded));
        AssertWithinOneStep(viaCore, rounded, 32);
    }

    [Fact]
    public void Q8_K_activation_rounding_matches_Core_quantize_within_one_step()
    {
        var x = TestData.Random(1024, 6, 4f);
        var viaCore = RoundTrip(QuantType.Q8_K, x);
        var rounded = new float[x.Length];
        Assert.True(ActivationRounding.Round(QuantType.Q8_K, x, rounded));
        AssertWithinOneStep(viaCore, rounded, 256);
    }

    [Fact]
    public void Activation_formats_follow_llama_cpp_vec_dot_types()
    {
        Assert.Equal(QuantType.F32, ActivationRounding.PartnerOf(QuantType.F32));
        Assert.Equal(QuantType.F16, ActivationRounding.PartnerOf(QuantType.F16));
        Assert.Equal(QuantType.Q8_0, ActivationRounding.PartnerOf(QuantType.Q4_0));
        Assert.Equal(QuantType.Q8_K, ActivationRounding.PartnerOf(QuantType.Q6_K));
        var x = TestData.Random(64, 1);
        Assert.False(ActivationRounding.Round(QuantType.F32, x, new float[64]));
    }

    [Theory, MemberData(nameof(WeightTypes))]
    public void MatMul_equals_naive_product_of_decoded_rows(QuantType type)
    {
        const int rows = 37, cols = 256;
        var (w, keep) = TestData.Weight(type, rows, cols, seed: 100 + (int)type);
        foreach (int threads in new[] { 1, 3 })
        {
            using var pool = new WorkerPool(threads);
            var mm = new MatMul(pool, cols, maxTokens: 4);
            foreach (int nTok in new[] { 1, 4 })
            {
                var x = TestData.Random(nTok * cols, nTok);
                var y = new float[nTok * rows];
                mm.Run(w, x, nTok, y);
                var row = new float[cols];
                var xr = new float[cols];
                for (int t = 0; t < nTok; t++)
                {
                    var xt = x.AsSpan(t * cols, cols);
                    if (!ActivationRounding.Round(ActivationRounding.PartnerOf(type), xt, xr)) xt.CopyTo(xr);
                    for (int r = 0; r < rows; r++)
                    {
                        Dequantize.Row(type, w.Row(r), row);
                        float expected = FloatKernelsScalar.Dot(row, xr);
                        Assert.True(Math.Abs(expected - y[t * rows + r]) <= 1e-4f * (1 + Math.Abs(expected)), $"{type} t={t} r={r}");
                    }
                }
            }
        }
        GC.KeepAlive(keep);
    }

    [Fact]
    public void Quantized_product_stays_close_to_the_float_product()
    {
        const int rows = 16, cols = 512;
        var (wf, keepF) = TestData.Weight(QuantType.F32, rows, cols, 9);
        var (wq, keepQ) = TestData.Weight(QuantType.Q4_K, rows, cols, 9);
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool, cols, 1);
        var x = TestData.Random(cols, 3);
        float[] yf = new float[rows], yq = new float[rows];
        mm.Run(wf, x, 1, yf);
        mm.Run(wq, x, 1, yq);
        double dot = 0, nf = 0, nq = 0;
        for (int i = 0; i < rows; i++) { dot += yf[i] * yq[i]; nf += yf[i] * yf[i]; nq += yq[i] * yq[i]; }
        Assert.True(dot / Math.Sqrt(nf * nq) > 0.99);
        GC.KeepAlive(keepF);
        GC.KeepAlive(keepQ);
    }

    private static float[] RoundTrip(QuantType type, float[] x)
    {
        var bytes = new byte[QuantTypeInfo.Get(type).RowBytes(x.Length)];
        Quantize.Row(type, x, bytes);
        var y = new float[x.Length];
        Dequantize.Row(type, bytes, y);
        return y;
    }

    // The references round ties differently (away from zero vs to even): allow one quantisation step, rarely.
    private static void AssertWithinOneStep(float[] expected, float[] actual, int block)
    {
        int differ = 0;
        for (int b = 0; b < expected.Length; b += block)
        {
            float amax = 0;
            for (int j = b; j < b + block; j++) amax = MathF.Max(amax, MathF.Abs(expected[j]));
            float step = amax / 127f * 1.01f;
            for (int j = b; j < b + block; j++)
            {
                Assert.True(Math.Abs(expected[j] - actual[j]) <= step + 1e-6f, $"[{j}] {expected[j]} vs {actual[j]}");
                if (expected[j] != actual[j]) differ++;
            }
        }
        Assert.True(differ <= expected.Length / 100, $"{differ} values differ");
    }
}
