using DeepSharp.Core.Quant;

namespace DeepSharp.Core.Tests.Quant;

/// <summary>llama.cpp's llama_tensor_get_type for a 28-layer qwen2 (DeepSeek-R1-Distill-Qwen-1.5B shapes: n_embd 1536, n_ff 8960).</summary>
public class QuantRecipeTests
{
    private const int Layers = 28;
    private const int Embd = 1536;
    private const int Ff = 8960;

    // use_more_bits(i, 28): i < 3, i >= 24, or (i − 3) % 3 == 2.
    private static readonly int[] MoreBitsLayers = [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27];

    private static QuantType Type(string ftype, string name, long rowLength, int dims = 2, bool hasOutput = true) =>
        QuantRecipe.TypeFor(QuantRecipe.ParseFileType(ftype), new RecipeTensor(name, rowLength, dims), new RecipeModel(Layers, HasOutputTensor: hasOutput, GqaRatio: 6));

    [Fact]
    public void File_type_ids_are_llama_cpp_s()
    {
        Assert.Equal(15, (int)QuantRecipe.ParseFileType("Q4_K_M"));
        Assert.Equal(17, (int)QuantRecipe.ParseFileType("q5_k_m"));
        Assert.Equal(7, (int)QuantRecipe.ParseFileType("q8_0"));
        Assert.Equal(2, (int)QuantRecipe.ParseFileType("Q4_0"));
        Assert.Equal(18, (int)QuantRecipe.ParseFileType("Q6_K"));
        Assert.Equal(1, (int)QuantRecipe.ParseFileType("f16"));
        Assert.Equal(32, (int)QuantRecipe.ParseFileType("bf16"));
        Assert.Equal(0, (int)QuantRecipe.ParseFileType("f32"));
        Assert.Throws<ArgumentException>(() => QuantRecipe.ParseFileType("q4_k_x"));
    }

    [Fact]
    public void Use_more_bits_selects_the_first_and_last_eighth_and_every_third_layer()
    {
        int[] selected = Enumerable.Range(0, Layers).Where(i => QuantRecipe.UseMoreBits(i, Layers)).ToArray();
        Assert.Equal(MoreBitsLayers, selected);
    }

    [Fact]
    public void Q4_K_M_gives_attn_v_and_ffn_down_Q6_K_on_the_more_bits_layers()
    {
        for (int i = 0; i < Layers; i++)
        {
            QuantType expected = MoreBitsLayers.Contains(i) ? QuantType.Q6_K : QuantType.Q4_K;
            Assert.Equal(expected, Type("Q4_K_M", $"blk.{i}.attn_v.weight", Embd));
            Assert.Equal(expected, Type("Q4_K_M", $"blk.{i}.ffn_down.weight", Ff));
            Assert.Equal(QuantType.Q4_K, Type("Q4_K_M", $"blk.{i}.attn_q.weight", Embd));
            Assert.Equal(QuantType.Q4_K, Type("Q4_K_M", $"blk.{i}.attn_k.weight", Embd));
            Assert.Equal(QuantType.Q4_K, Type("Q4_K_M", $"blk.{i}.attn_output.weight", Embd));
            Assert.Equal(QuantType.Q4_K, Type("Q4_K_M", $"blk.{i}.ffn_gate.weight", Embd));
            Assert.Equal(QuantType.Q4_K, Type("Q4_K_M", $"blk.{i}.ffn_up.weight", Embd));
        }
    }

    [Fact]
    public void Q5_K_M_uses_Q6_K_on_the_same_layers()
    {
        Assert.Equal(QuantType.Q6_K, Type("Q5_K_M", "blk.5.attn_v.weight", Embd));
        Assert.Equal(QuantType.Q5_K, Type("Q5_K_M", "blk.6.attn_v.weight", Embd));
        Assert.Equal(QuantType.Q6_K, Type("Q5_K_M", "blk.27.ffn_down.weight", Ff));
        Assert.Equal(QuantType.Q5_K, Type("Q5_K_M", "blk.3.ffn_down.weight", Ff));
        Assert.Equal(QuantType.Q5_K, Type("Q5_K_M", "blk.3.ffn_gate.weight", Embd));
    }

    [Theory]
    [InlineData("Q4_K_M", QuantType.Q6_K)]
    [InlineData("Q5_K_M", QuantType.Q6_K)]
    [InlineData("Q6_K", QuantType.Q6_K)]
    [InlineData("Q4_0", QuantType.Q6_K)]
    [InlineData("Q8_0", QuantType.Q8_0)]
    [InlineData("F16", QuantType.F16)]
    [InlineData("BF16", QuantType.BF16)]
    [InlineData("F32", QuantType.F32)]
    public void Output_weight_gets_Q6_K_unless_the_mix_is_Q8_0_or_unquantized(string ftype, QuantType expected) =>
        Assert.Equal(expected, Type(ftype, "output.weight", Embd));

    [Fact]
    public void Token_embedding_keeps_the_default_type_unless_it_is_tied_to_the_output()
    {
        Assert.Equal(QuantType.Q4_K, Type("Q4_K_M", "token_embd.weight", Embd));
        Assert.Equal(QuantType.Q6_K, Type("Q4_K_M", "token_embd.weight", Embd, hasOutput: false));
        Assert.Equal(QuantType.Q8_0, Type("Q8_0", "token_embd.weight", Embd, hasOutput: false));
    }

    [Theory]
    [InlineData("Q4_K_M")]
    [InlineData("Q8_0")]
    [InlineData("F16")]
    public void One_dimensional_tensors_and_norms_stay_F32(string ftype)
    {
        Assert.Equal(QuantType.F32, Type(ftype, "blk.0.attn_norm.weight", Embd, dims: 1));
        Assert.Equal(QuantType.F32, Type(ftype, "blk.0.attn_q.bias", Embd, dims: 1));
        Assert.Equal(QuantType.F32, Type(ftype, "output_norm.weight", Embd, dims: 1));
        Assert.Equal(QuantType.F32, Type(ftype, "blk.0.ffn_gate_inp.weight", Embd));
    }

    [Fact]
    public void Plain_mixes_use_one_type_for_every_matrix()
    {
        foreach ((string ftype, QuantType type) in new[] { ("Q8_0", QuantType.Q8_0), ("Q4_0", QuantType.Q4_0), ("Q6_K", QuantType.Q6_K), ("F16", QuantType.F16), ("BF16", QuantType.BF16) })
        {
            Assert.Equal(type, Type(ftype, "blk.0.attn_v.weight", Embd));
            Assert.Equal(type, Type(ftype, "blk.27.ffn_down.weight", Ff));
            Assert.Equal(type, Type(ftype, "token_embd.weight", Embd));
        }
    }

    [Fact]
    public void Rows_that_are_not_whole_super_blocks_fall_back_like_llama_cpp()
    {
        // qwen2 0.5B: n_embd 896 = 3.5 × 256.
        Assert.Equal(QuantType.Q5_0, Type("Q4_K_M", "blk.3.attn_q.weight", 896));
        Assert.Equal(QuantType.Q8_0, Type("Q4_K_M", "blk.0.attn_v.weight", 896));   // Q6_K → Q8_0
        Assert.Equal(QuantType.Q5_1, Type("Q5_K_M", "blk.3.attn_q.weight", 896));
        Assert.Equal(QuantType.Q8_0, Type("Q6_K", "blk.3.attn_q.weight", 896));
        Assert.Equal(QuantType.Q8_0, Type("Q4_K_M", "output.weight", 896));        // output: not a multiple of Q4_K's 256
        Assert.Equal(QuantType.Q5_0, Type("Q4_K_M", "token_embd.weight", 896));
        Assert.Equal(QuantType.F16, Type("Q4_K_M", "blk.3.attn_q.weight", 100));     // not even a multiple of 32
        Assert.Throws<InvalidOperationException>(() => Type("Q8_0", "blk.3.attn_q.weight", 100));
    }

    [Fact]
    public void Eight_expert_models_bump_attention_to_Q8_0()
    {
        var moe = new RecipeModel(Layers, ExpertCount: 8);
        Assert.Equal(QuantType.Q8_0, QuantRecipe.TypeFor(LlamaFileType.MostlyQ4_K_M, new RecipeTensor("blk.4.attn_v.weight", Embd), moe));
        Assert.Equal(QuantType.Q8_0, QuantRecipe.TypeFor(LlamaFileType.MostlyQ4_K_M, new RecipeTensor("blk.4.attn_k.weight", Embd), moe));
        Assert.Equal(QuantType.Q5_K, QuantRecipe.TypeFor(LlamaFileType.MostlyQ4_K_M, new RecipeTensor("blk.4.attn_output.weight", Embd), moe));
        Assert.Equal(QuantType.Q6_K, QuantRecipe.TypeFor(LlamaFileType.MostlyQ4_K_M, new RecipeTensor("blk.5.ffn_down_exps.weight", Ff, 3), moe));
    }

    [Fact]
    public void Short_form_matches_the_full_form()
    {
        Assert.Equal(QuantType.Q6_K, QuantRecipe.TypeFor("q4_k_m", "blk.0.ffn_down.weight", Layers, Ff));
        Assert.Equal(QuantType.F32, QuantRecipe.TypeFor("q4_k_m", "blk.0.ffn_norm.weight", Layers, Embd, dimensions: 1));
    }
}
