using DeepSharp.Core.Quant;
using DeepSharp.Gguf;
using DeepSharp.Oracle;
using LLama.Native;

namespace DeepSharp.Core.Tests.Quant;

/// <summary>
/// End to end against llama.cpp's quantizer (llama_model_quantize, as llama-quantize runs it without an imatrix):
/// a small F32 qwen2 GGUF is quantized by llama.cpp, then every tensor's type must be the one QuantRecipe picks,
/// every quantized row must be byte-identical to ours, and our dequantization of llama.cpp's blocks must be close
/// to the F32 originals.
/// </summary>
public sealed class LlamaQuantizeOracleTests : IDisposable
{
    // 8 layers: use_more_bits picks layers 0, 3, 6, 7. n_ff 320 is not a multiple of 256, so ffn_down exercises the
    // k-quant fallbacks (Q4_K → Q5_0, Q6_K → Q8_0).
    private const int Layers = 8, Embd = 256, Ff = 320, Heads = 4, KvHeads = 2, Vocab = 64;

    private readonly string _dir = Directory.CreateTempSubdirectory("deepsharp-quant-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IEnumerable<(string Name, long[] Dims)> Tensors(bool withOutput)
    {
        int kv = Embd / Heads * KvHeads;
        yield return ("token_embd.weight", [Embd, Vocab]);
        for (int i = 0; i < Layers; i++)
        {
            string b = $"blk.{i}.";
            yield return (b + "attn_norm.weight", [Embd]);
            yield return (b + "attn_q.weight", [Embd, Embd]);
            yield return (b + "attn_q.bias", [Embd]);
            yield return (b + "attn_k.weight", [Embd, kv]);
            yield return (b + "attn_k.bias", [kv]);
            yield return (b + "attn_v.weight", [Embd, kv]);
            yield return (b + "attn_v.bias", [kv]);
            yield return (b + "attn_output.weight", [Embd, Embd]);
            yield return (b + "ffn_norm.weight", [Embd]);
            yield return (b + "ffn_gate.weight", [Embd, Ff]);
            yield return (b + "ffn_up.weight", [Embd, Ff]);
            yield return (b + "ffn_down.weight", [Ff, Embd]);
        }
        yield return ("output_norm.weight", [Embd]);
        if (withOutput) yield return ("output.weight", [Embd, Vocab]);
    }

    /// <summary>Seeded N(0, 0.02²) weights; norms are ones. (Outliers and edge cases are in GgmlOracleTests.)</summary>
    private static float[] Values(string name, long count, int seed)
    {
        var x = new float[count];
        if (name.Contains("norm", StringComparison.Ordinal))
        {
            Array.Fill(x, 1f);
            return x;
        }
        var rng = new Random(seed);
        for (int i = 0; i < x.Length; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = (float)(0.02 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    private static Dictionary<string, float[]> WriteF32Model(string path, bool withOutput)
    {
        var data = new Dictionary<string, float[]>();
        using var stream = File.Create(path);
        var w = new GgufWriter(stream);
        w.Add("general.architecture", "qwen2");
        w.Add("general.name", "deepsharp-quant-oracle");
        w.Add("general.file_type", 0u);
        w.Add("qwen2.block_count", (uint)Layers);
        w.Add("qwen2.context_length", 256u);
        w.Add("qwen2.embedding_length", (uint)Embd);
        w.Add("qwen2.feed_forward_length", (uint)Ff);
        w.Add("qwen2.attention.head_count", (uint)Heads);
        w.Add("qwen2.attention.head_count_kv", (uint)KvHeads);
        w.Add("qwen2.attention.layer_norm_rms_epsilon", 1e-6f);
        w.Add("qwen2.rope.freq_base", 10000f);
        int seed = 1;
        foreach ((string name, long[] dims) in Tensors(withOutput))
        {
            w.AddTensorInfo(name, QuantType.F32, dims);
            data[name] = Values(name, dims.Aggregate(1L, (a, b) => a * b), seed++);
        }
        w.WriteHeader();
        foreach ((string name, _) in Tensors(withOutput))
            w.WriteTensorData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data[name].AsSpan()));
        w.Finish();
        return data;
    }

    /// <summary>
    /// Relative RMS error bound of quantize → dequantize for N(0, σ²) rows: a uniform quantizer with step Δ has RMS error
    /// Δ/√12. A block of 32 Gaussians rarely spreads beyond ±3σ, so Δ ≤ 3σ/2^(b−1) for the symmetric (absmax) types
    /// and 6σ/(2^b − 1) for those with a minimum. F16/BF16 round to 11/8 significant bits (RMS 2^−p/√3).
    /// </summary>
    private static double RelativeErrorBudget(QuantType t)
    {
        double sqrt12 = Math.Sqrt(12);
        return t switch
        {
            QuantType.F32 => 0,
            QuantType.F16 => Math.Pow(2, -11) / Math.Sqrt(3),
            QuantType.BF16 => Math.Pow(2, -8) / Math.Sqrt(3),
            QuantType.Q8_0 => 3.0 / 128 / sqrt12,
            QuantType.Q6_K => 3.0 / 32 / sqrt12,
            QuantType.Q5_0 => 3.0 / 16 / sqrt12,
            QuantType.Q4_0 => 3.0 / 8 / sqrt12,
            QuantType.Q5_1 or QuantType.Q5_K => 6.0 / 31 / sqrt12,
            QuantType.Q4_1 or QuantType.Q4_K => 6.0 / 15 / sqrt12,
            _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no budget for this type"),
        };
    }

    [Theory]
    [InlineData(LlamaFileType.MostlyQ4_K_M, true)]
    [InlineData(LlamaFileType.MostlyQ4_K_M, false)]
    [InlineData(LlamaFileType.MostlyQ5_K_M, true)]
    [InlineData(LlamaFileType.MostlyQ8_0, true)]
    [InlineData(LlamaFileType.MostlyQ4_0, true)]
    [InlineData(LlamaFileType.MostlyQ6_K, true)]
    public void Llama_cpp_quantization_matches_recipe_quantizer_and_dequantizer(LlamaFileType fileType, bool withOutput)
    {
        string src = Path.Combine(_dir, "f32.gguf"), dst = Path.Combine(_dir, $"{fileType}.gguf");
        Dictionary<string, float[]> original = WriteF32Model(src, withOutput);
        LlamaOracle.Quantize(src, dst, (LLamaFtype)(int)fileType);

        using GgufFile file = GgufFile.Open(dst);
        Assert.Equal((long)fileType, file.Metadata.GetInt64("general.file_type"));
        var model = new RecipeModel(Layers, HasOutputTensor: withOutput, GqaRatio: Heads / KvHeads);
        foreach (GgufTensorInfo t in file.Tensors)
        {
            QuantType expected = QuantRecipe.TypeFor(fileType, new RecipeTensor(t.Name, t.RowLength, t.Dims.Length), model);
            Assert.True(expected == t.Type, $"{fileType}: {t.Name} is {t.Type} in llama.cpp's file, recipe says {expected}");
            CheckRows(file, t, original[t.Name]);
        }
    }

    private static void CheckRows(GgufFile file, GgufTensorInfo t, float[] original)
    {
        int n = (int)t.RowLength;
        var ours = new byte[t.RowByteLength];
        var back = new float[n];
        double errSq = 0, sumSq = 0;
        // Every fourth row keeps the test fast; every tensor and type is still covered.
        for (long r = 0; r < t.RowCount; r += 4)
        {
            ReadOnlySpan<float> x = original.AsSpan((int)(r * n), n);
            ReadOnlySpan<byte> theirs = file.GetRowBytes(t, r);
            Quantize.Row(t.Type, x, ours);
            Assert.True(theirs.SequenceEqual(ours), $"{t.Name} row {r} ({t.Type}): our quantization differs from llama.cpp's");
            Dequantize.Row(t.Type, theirs, back);
            for (int i = 0; i < n; i++)
            {
                errSq += (back[i] - x[i]) * (double)(back[i] - x[i]);
                sumSq += x[i] * (double)x[i];
            }
        }
        double relative = Math.Sqrt(errSq / sumSq);
        Assert.True(relative <= RelativeErrorBudget(t.Type), $"{t.Name} ({t.Type}): relative RMS error {relative:F5}");
    }
}
