using DeepSharp.Core.Quant;
using DeepSharp.Gguf;
using DeepSharp.Synth;

namespace DeepSharp.Synth.Tests;

public class PresetShapeTests
{
    private static Dictionary<string, object> Meta(SynthPlan plan) => plan.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value.Raw);

    private static string Describe(SynthTensor t) => $"{t.Name} {t.Type} [{string.Join(",", t.Dims)}]";

    [Fact]
    public void Tiny_qwen2_tensor_directory_is_exactly_the_qwen2_layout()
    {
        SynthPlan plan = SynthModel.Plan(new SynthOptions { Preset = "tiny-qwen2", FileType = "f32" });
        // hidden 96 = 6 heads × 16; 2 KV heads → k/v rows 32; FFN 160; vocab 1000; 3 layers; untied output.
        var expected = new List<string> { "token_embd.weight F32 [96,1000]" };
        for (int i = 0; i < 3; i++)
        {
            expected.AddRange(
            [
                $"blk.{i}.attn_norm.weight F32 [96]",
                $"blk.{i}.attn_q.weight F32 [96,96]", $"blk.{i}.attn_q.bias F32 [96]",
                $"blk.{i}.attn_k.weight F32 [96,32]", $"blk.{i}.attn_k.bias F32 [32]",
                $"blk.{i}.attn_v.weight F32 [96,32]", $"blk.{i}.attn_v.bias F32 [32]",
                $"blk.{i}.attn_output.weight F32 [96,96]",
                $"blk.{i}.ffn_norm.weight F32 [96]",
                $"blk.{i}.ffn_gate.weight F32 [96,160]", $"blk.{i}.ffn_up.weight F32 [96,160]",
                $"blk.{i}.ffn_down.weight F32 [160,96]",
            ]);
        }

        expected.AddRange(["output_norm.weight F32 [96]", "output.weight F32 [96,1000]"]);
        Assert.Equal(expected, plan.Tensors.Select(Describe));
    }

    [Fact]
    public void Tiny_llama_has_no_biases_and_carries_rope_factors_and_tied_variant_has_no_output()
    {
        SynthPlan plan = SynthModel.Plan(new SynthOptions { Preset = "tiny-llama", FileType = "f16" });
        var names = plan.Tensors.Select(Describe).ToList();
        Assert.Equal("token_embd.weight F16 [96,1000]", names[0]);
        Assert.Equal("rope_freqs.weight F32 [8]", names[1]);
        Assert.Equal("blk.0.attn_k.weight F16 [96,48]", names[4]);   // 3 KV heads × 16
        Assert.DoesNotContain(names, n => n.Contains(".bias", StringComparison.Ordinal));
        Assert.Equal(2 + (3 * 9) + 2, names.Count);
        Assert.Equal("output.weight F16 [96,1000]", names[^1]);

        SynthPlan tied = SynthModel.Plan(new SynthOptions { Preset = "tiny-llama-tied", FileType = "q8_0" });
        Assert.DoesNotContain(tied.Tensors, t => t.Name == "output.weight");
        Assert.Equal("token_embd.weight Q8_0 [256,700]", Describe(tied.Tensors[0]));
        Assert.Equal("blk.1.ffn_down.weight Q8_0 [512,256]", Describe(tied.Tensors.Single(t => t.Name == "blk.1.ffn_down.weight")));
    }

    [Fact]
    public void R1_distill_qwen_1_5b_matches_the_real_model()
    {
        SynthPlan plan = SynthModel.Plan(new SynthOptions { Arch = "qwen2", Preset = "r1-distill-qwen-1.5b", FileType = "q4_k_m" });
        Dictionary<string, object> md = Meta(plan);
        Assert.Equal("qwen2", md["general.architecture"]);
        Assert.Equal(28u, md["qwen2.block_count"]);
        Assert.Equal(131072u, md["qwen2.context_length"]);
        Assert.Equal(1536u, md["qwen2.embedding_length"]);
        Assert.Equal(8960u, md["qwen2.feed_forward_length"]);
        Assert.Equal(12u, md["qwen2.attention.head_count"]);
        Assert.Equal(2u, md["qwen2.attention.head_count_kv"]);
        Assert.Equal(10000f, md["qwen2.rope.freq_base"]);
        Assert.Equal(1e-6f, md["qwen2.attention.layer_norm_rms_epsilon"]);
        Assert.Equal((uint)LlamaFileType.MostlyQ4_K_M, md["general.file_type"]);
        Assert.Equal("gpt2", md["tokenizer.ggml.model"]);
        Assert.Equal("deepseek-r1-qwen", md["tokenizer.ggml.pre"]);
        Assert.Equal(151646u, md["tokenizer.ggml.bos_token_id"]);
        Assert.Equal(151643u, md["tokenizer.ggml.eos_token_id"]);
        Assert.Equal(151643u, md["tokenizer.ggml.padding_token_id"]);
        Assert.Equal(true, md["tokenizer.ggml.add_bos_token"]);
        Assert.Equal(0.6f, md["general.sampling.temp"]);
        Assert.Equal(0.95f, md["general.sampling.top_p"]);
        Assert.EndsWith("{{'<｜Assistant｜><think>\\n'}}{% endif %}", (string)md["tokenizer.chat_template"], StringComparison.Ordinal);

        string[] tokens = (string[])md["tokenizer.ggml.tokens"];
        Assert.Equal(151936, tokens.Length);
        Assert.Equal("<｜end▁of▁sentence｜>", tokens[151643]);
        Assert.Equal("<｜User｜>", tokens[151644]);
        Assert.Equal("<｜Assistant｜>", tokens[151645]);
        Assert.Equal("<｜begin▁of▁sentence｜>", tokens[151646]);
        Assert.Equal("<think>", tokens[151648]);
        Assert.Equal("</think>", tokens[151649]);
        Assert.Equal("<|file_sep|>", tokens[151664]);
        Assert.Equal(tokens.Length, tokens.Distinct(StringComparer.Ordinal).Count());
        int[] types = (int[])md["tokenizer.ggml.token_type"];
        Assert.All(types[..151643], t => Assert.Equal((int)TokenType.Normal, t));   // ordinary ids: bytes, merges, pseudo-words
        Assert.Equal("[PAD151665]", tokens[151665]);                                 // as llama.cpp's converter pads
        Assert.Equal((int)TokenType.Unused, types[151935]);
        Assert.Equal((int)TokenType.Control, types[151644]);
        Assert.Equal((int)TokenType.UserDefined, types[151648]);

        // 1,777,088,000 parameters (HF: DeepSeek-R1-Distill-Qwen-1.5B, untied lm_head); 339 tensors.
        Assert.Equal(1_777_088_000, plan.ParameterCount);
        Assert.Equal(2 + (28 * 12) + 1, plan.Tensors.Count);
        Assert.Equal([1536L, 151936L], plan.Tensors.Single(t => t.Name == "output.weight").Dims);
        Assert.Equal([8960L, 1536L], plan.Tensors.Single(t => t.Name == "blk.27.ffn_down.weight").Dims);
        Assert.Equal([1536L, 256L], plan.Tensors.Single(t => t.Name == "blk.0.attn_k.weight").Dims);
        Assert.Equal(QuantType.Q6_K, plan.Tensors.Single(t => t.Name == "output.weight").Type);
        Assert.Equal(QuantType.Q4_K, plan.Tensors.Single(t => t.Name == "token_embd.weight").Type);
    }

    [Fact]
    public void Qwen2_5_0_5b_is_tied_with_rope_base_one_million()
    {
        SynthPlan plan = SynthModel.Plan(new SynthOptions { Preset = "qwen2.5-0.5b", FileType = "q8_0" });
        Dictionary<string, object> md = Meta(plan);
        Assert.Equal(896u, md["qwen2.embedding_length"]);
        Assert.Equal(24u, md["qwen2.block_count"]);
        Assert.Equal(14u, md["qwen2.attention.head_count"]);
        Assert.Equal(2u, md["qwen2.attention.head_count_kv"]);
        Assert.Equal(4864u, md["qwen2.feed_forward_length"]);
        Assert.Equal(1e6f, md["qwen2.rope.freq_base"]);
        Assert.Equal("qwen2", md["tokenizer.ggml.pre"]);
        Assert.Equal(151645u, md["tokenizer.ggml.eos_token_id"]);
        Assert.DoesNotContain(plan.Tensors, t => t.Name == "output.weight");
        // 494,032,768 parameters: Qwen2.5-0.5B's published count.
        Assert.Equal(494_032_768, plan.ParameterCount);
    }

    [Fact]
    public void R1_distill_llama_8b_matches_the_real_model()
    {
        SynthPlan plan = SynthModel.Plan(new SynthOptions { Arch = "llama", Preset = "r1-distill-llama-8b", FileType = "q4_0", VocabOnly = false });
        Dictionary<string, object> md = Meta(plan);
        Assert.Equal(4096u, md["llama.embedding_length"]);
        Assert.Equal(32u, md["llama.block_count"]);
        Assert.Equal(32u, md["llama.attention.head_count"]);
        Assert.Equal(8u, md["llama.attention.head_count_kv"]);
        Assert.Equal(14336u, md["llama.feed_forward_length"]);
        Assert.Equal(500000f, md["llama.rope.freq_base"]);
        Assert.Equal(1e-5f, md["llama.attention.layer_norm_rms_epsilon"]);
        Assert.Equal(128256u, md["llama.vocab_size"]);
        Assert.Equal(128u, md["llama.rope.dimension_count"]);
        Assert.Equal("llama-bpe", md["tokenizer.ggml.pre"]);
        Assert.Equal(128000u, md["tokenizer.ggml.bos_token_id"]);
        Assert.Equal(128001u, md["tokenizer.ggml.eos_token_id"]);
        string[] tokens = (string[])md["tokenizer.ggml.tokens"];
        Assert.Equal("<｜User｜>", tokens[128011]);
        Assert.Equal("<think>", tokens[128013]);
        Assert.Equal("<|reserved_special_token_247|>", tokens[128255]);
        // 8,030,261,248 parameters (Llama-3.1-8B) + the 64 RoPE factors.
        Assert.Equal(8_030_261_248 + 64, plan.ParameterCount);
        Assert.Equal(QuantType.Q6_K, plan.Tensors.Single(t => t.Name == "output.weight").Type);
    }

    [Fact]
    public void Llama3_rope_factors_go_from_1_at_high_frequency_to_8_at_low_frequency()
    {
        float[] f = WeightGenerator.Llama3RopeFactors(new Llama3RopeScaling(8f, 1f, 4f, 8192), 128, 500000f);
        Assert.Equal(64, f.Length);
        Assert.Equal(1f, f[0]);
        Assert.Equal(8f, f[63]);
        for (int i = 1; i < f.Length; i++)
        {
            Assert.True(f[i] >= f[i - 1]);
        }

        // Wavelength 2π·500000^(i/64) passes 2048 at i ≈ 28.2 and 8192 at i ≈ 35.0; between them it is smooth.
        Assert.Equal(1f, f[28]);
        Assert.InRange(f[29], 1.001f, 7.999f);
        Assert.InRange(f[34], 1.001f, 7.999f);
        Assert.Equal(8f, f[35]);
    }

    [Theory]
    [InlineData("tiny-qwen2", "q4_k_m", "blk.0.attn_q.weight", QuantType.Q5_0)]   // rows of 96: k-quants fall back
    [InlineData("tiny-qwen2", "q5_k_m", "blk.1.ffn_up.weight", QuantType.Q5_1)]
    [InlineData("tiny-qwen2", "q6_k", "blk.1.ffn_up.weight", QuantType.Q8_0)]
    [InlineData("tiny-qwen2-k", "q4_k_m", "blk.1.ffn_up.weight", QuantType.Q4_K)]
    [InlineData("tiny-qwen2-k", "q4_k_m", "blk.0.ffn_down.weight", QuantType.Q4_K)]
    [InlineData("tiny-qwen2-k", "q4_k_m", "blk.1.ffn_down.weight", QuantType.Q6_K)]   // use_more_bits: last eighth of 2 layers
    [InlineData("tiny-qwen2-k", "bf16", "blk.0.ffn_down.weight", QuantType.BF16)]
    [InlineData("tiny-qwen2-k", "bf16", "blk.0.ffn_norm.weight", QuantType.F32)]
    public void File_types_use_llama_cpp_mixes(string preset, string fileType, string tensor, QuantType expected)
    {
        SynthPlan plan = SynthModel.Plan(new SynthOptions { Preset = preset, FileType = fileType });
        Assert.Equal(expected, plan.Tensors.Single(t => t.Name == tensor).Type);
    }
}
