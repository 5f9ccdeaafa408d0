using System.Runtime.InteropServices;
using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Oracle;
using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

/// <summary>
/// The integer products against the very ggml the oracle loaded (its exported quantize_row_* and ggml_vec_dot_*),
/// on the weights of the synthetic models: they must agree bit for bit, since the next layer quantizes the result
/// again and a last-bit difference can grow into a different greedy token.
/// </summary>
public sealed class IntegerDotOracleTests(SynthFiles files) : IClassFixture<SynthFiles>
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void VecDotFn(int n, out float s, nuint bs, byte[] x, nuint bx, byte[] y, nuint by, int nrc);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void QuantizeFn(float[] x, byte[] y, long k);

    [Theory]
    [InlineData("tiny-qwen2-k", "q8_0", "quantize_row_q8_0", "ggml_vec_dot_q8_0_q8_0")]
    [InlineData("tiny-qwen2-k", "q6_k", "quantize_row_q8_K", "ggml_vec_dot_q6_K_q8_K")]
    [InlineData("tiny-qwen2", "q5_k_m", "quantize_row_q8_1", "ggml_vec_dot_q5_1_q8_1")]
    [InlineData("tiny-qwen2-k", "q4_0", "quantize_row_q8_0", "ggml_vec_dot_q4_0_q8_0")]
    [InlineData("tiny-qwen2-k", "q5_0", "quantize_row_q8_0", "ggml_vec_dot_q5_0_q8_0")]
    [InlineData("tiny-qwen2-k", "q4_k_m", "quantize_row_q8_K", "ggml_vec_dot_q4_K_q8_K")]
    [InlineData("tiny-qwen2-k", "q5_k_m", "quantize_row_q8_K", "ggml_vec_dot_q5_K_q8_K")]
    public void Equal_ggml_vec_dot_bit_for_bit(string preset, string fileType, string quantizeName, string dotName)
    {
        string path = files.Get(preset, fileType);
        using var oracle = LlamaOracle.Load(path, ctx: 16);   // loads and initialises llama.cpp's ggml
        nint cpu = MappedLibrary("libggml-cpu.so");
        var quantize = Marshal.GetDelegateForFunctionPointer<QuantizeFn>(NativeLibrary.GetExport(cpu, quantizeName));
        var dot = Marshal.GetDelegateForFunctionPointer<VecDotFn>(NativeLibrary.GetExport(cpu, dotName));
        using var model = Load(path, ctx: 16);
        var w = model.Network.Layers[0].Ffn.Up;
        Assert.True(IntegerDot.Supports(w.Type), $"{w} is not an integer-dot type");
        var partner = ActivationRounding.PartnerOf(w.Type);
        int cols = w.Cols;
        var act = new Int8Activations(1, cols);
        var xq = new byte[QuantTypeInfo.Get(partner).RowBytes(cols)];
        var rng = new Random(11);
        for (int trial = 0; trial < 4; trial++)
        {
            var x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 7 == 0 ? 3 : 1);
            quantize(x, xq, cols);
            act.Quantize(partner, x, 1, cols);
            for (int r = 0; r < w.Rows; r++)
            {
                dot(cols, out float expected, 0, w.Row(r).ToArray(), 0, xq, 0, 1);
                float actual = IntegerDot.Dot(w.Type, w.Row(r), act, 0);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                    $"{w} row {r}: ggml {expected:R}, ours {actual:R}");
            }
        }
    }

    // The library file llama.cpp mapped (LLamaSharp picks the build for this CPU), not a second copy.
    private static nint MappedLibrary(string fileName)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0 && line.EndsWith("/" + fileName, StringComparison.Ordinal)) return NativeLibrary.Load(line[slash..]);
        }
        throw new InvalidOperationException($"{fileName} is not loaded");
    }
}
