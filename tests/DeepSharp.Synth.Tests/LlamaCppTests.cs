using DeepSharp.Core.Quant;
using DeepSharp.Gguf;
using DeepSharp.Oracle;
using DeepSharp.Synth;

namespace DeepSharp.Synth.Tests;

/// <summary>llama.cpp (LLamaSharp 0.30.0) must load every synthetic file, run it, and tokenize with its vocabulary.</summary>
public sealed class LlamaCppTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("synth-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteModel(SynthOptions options)
    {
        string path = Path.Combine(_dir, $"{options.Preset ?? options.Shape!.ModelName}-{options.FileType}-{options.VocabOnly}.gguf");
        SynthModel.Write(options, path);
        return path;
    }

    public static TheoryData<string, string> PresetsAndTypes()
    {
        var data = new TheoryData<string, string>();
        foreach (string type in new[] { "f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k" })
        {
            data.Add("tiny-qwen2", type);
            data.Add("tiny-qwen2-k", type);
            data.Add("tiny-llama", type);
        }

        data.Add("tiny-qwen2-tied", "q8_0");
        data.Add("tiny-llama-tied", "q4_k_m");
        data.Add("tiny-qwen2-odd", "f32");
        data.Add("tiny-qwen2-odd", "bf16");
        return data;
    }

    [Theory]
    [MemberData(nameof(PresetsAndTypes))]
    public void Llama_cpp_loads_the_file_and_computes_finite_logits(string preset, string fileType)
    {
        string path = WriteModel(new SynthOptions { Preset = preset, FileType = fileType, Seed = 11 });
        using LlamaOracle oracle = LlamaOracle.Load(path, ctx: 64);
        int[] prompt = oracle.Tokenize("The answer is 42.", addBos: true, special: false);
        float[] logits = oracle.LastLogits(prompt);
        Assert.Equal(SynthPresets.Get(preset).NVocab, logits.Length);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        // Random weights must still give a spread of logits, not a constant row.
        Assert.True(logits.Max() - logits.Min() > 0.05f, $"logit range {logits.Max() - logits.Min()}");
    }

    [Theory]
    [InlineData("q4_k_m")]
    [InlineData("q8_0")]
    public void Llama_cpp_runs_a_model_with_pooled_tensors(string fileType)
    {
        string path = WriteModel(new SynthOptions { Shape = WriteTests.PooledShape, FileType = fileType });
        using LlamaOracle oracle = LlamaOracle.Load(path, ctx: 64);
        float[] logits = oracle.LastLogits(oracle.Tokenize("<｜User｜>hello<｜Assistant｜>", addBos: true, special: true));
        Assert.Equal(4096, logits.Length);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        Assert.True(logits.Max() - logits.Min() > 0.05f);
    }

    [Theory]
    [InlineData("tiny-qwen2-k", "q4_k_m")]
    [InlineData("tiny-llama", "q5_k_m")]
    [InlineData("tiny-llama-tied", "q6_k")]
    public void Tensor_types_match_what_llama_quantize_makes_of_the_f32_file(string preset, string fileType)
    {
        string f32 = WriteModel(new SynthOptions { Preset = preset, FileType = "f32" });
        string quantized = Path.Combine(_dir, "llama-quantized.gguf");
        LlamaOracle.Quantize(f32, quantized, QuantRecipe.ParseFileType(fileType) switch
        {
            LlamaFileType.MostlyQ4_K_M => LLama.Native.LLamaFtype.MOSTLY_Q4_K_M,
            LlamaFileType.MostlyQ5_K_M => LLama.Native.LLamaFtype.MOSTLY_Q5_K_M,
            _ => LLama.Native.LLamaFtype.MOSTLY_Q6_K,
        });
        using GgufFile reference = GgufFile.Open(quantized);
        SynthPlan ours = SynthModel.Plan(new SynthOptions { Preset = preset, FileType = fileType });
        Assert.Equal(
            reference.Tensors.Select(t => (t.Name, t.Type)).OrderBy(t => t.Name, StringComparer.Ordinal),
            ours.Tensors.Select(t => (t.Name, t.Type)).OrderBy(t => t.Name, StringComparer.Ordinal));
        Assert.Equal(reference.Metadata.GetInt64("general.file_type"), (long)ours.FileType);
    }

    [Fact]
    public void R1_special_tokens_of_the_full_size_vocabulary_tokenize_to_their_real_ids()
    {
        string path = WriteModel(new SynthOptions { Preset = "r1-distill-qwen-1.5b", VocabOnly = true });
        using LlamaOracle oracle = LlamaOracle.LoadVocabOnly(path);
        Assert.Equal(151936, oracle.VocabSize);
        int[] ids = oracle.Tokenize("<｜User｜>hello<｜Assistant｜>", addBos: false, special: true);
        Assert.Equal(151644, ids[0]);
        Assert.Equal(151645, ids[^1]);
        Assert.InRange(ids.Length, 3, 4);   // "hello" is one or two learned tokens
        Assert.Equal([151646, 151644], oracle.Tokenize("<｜User｜>", addBos: true, special: true));
        Assert.Equal([151645, 151648], oracle.Tokenize("<｜Assistant｜><think>", addBos: false, special: true));
        Assert.Equal([151649], oracle.Tokenize("</think>", addBos: false, special: true));
        Assert.Single(oracle.Tokenize(" the", addBos: false, special: false));   // learned merge: common words are one token
    }

    [Fact]
    public void Tiny_vocabulary_puts_the_R1_specials_at_its_end()
    {
        string path = WriteModel(new SynthOptions { Preset = "tiny-qwen2", VocabOnly = true });
        using LlamaOracle oracle = LlamaOracle.LoadVocabOnly(path);
        int[] ids = oracle.Tokenize("<｜User｜>hello<｜Assistant｜>", addBos: true, special: true);
        Assert.Equal([981, 979], ids[..2]);   // BOS = 978 + 3, User = 978 + 1
        Assert.Equal(980, ids[^1]);
    }

    [Fact]
    public void With_a_tokenizer_json_the_real_qwen_ids_come_out()
    {
        // R1-Distill-Qwen's worked example (NOTES-r1-distill-qwen-tokens.md), using the Qwen base vocabulary from the
        // corpora and R1's added tokens placed by the preset.
        string path = WriteModel(new SynthOptions
        {
            Preset = "r1-distill-qwen-1.5b",
            VocabOnly = true,
            VocabPath = TestPaths.Corpus("tokenizer", "qwen2-vocab-from-qwen3", "tokenizer.json"),
        });
        using LlamaOracle oracle = LlamaOracle.LoadVocabOnly(path);
        Assert.Equal([151646, 151644, 9707, 11, 1879, 0, 151645],
            oracle.Tokenize("<｜begin▁of▁sentence｜><｜User｜>Hello, world!<｜Assistant｜>", addBos: false, special: true));
        Assert.Equal([151645, 151648, 198], oracle.Tokenize("<｜Assistant｜><think>\n", addBos: false, special: true));
    }
}
