using DeepSharp.Oracle;
using DeepSharp.Synth;

namespace DeepSharp.Synth.Tests;

/// <summary>deepseek2 presets: shapes that match the real model, and files llama.cpp loads and runs.</summary>
public sealed class Deepseek2SynthTests : IDisposable
{
    private static readonly string[] TinyPresets = ["tiny-deepseek2", "tiny-deepseek2-lite", "tiny-deepseek2-kvb", "tiny-deepseek2-k"];
    private readonly string _dir = Directory.CreateTempSubdirectory("synth-ds2-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> PresetsAndTypes()
    {
        var data = new TheoryData<string, string>();
        foreach (string preset in TinyPresets)
            foreach (string type in new[] { "f32", "f16", "q8_0", "q4_k_m" })
                data.Add(preset, type);
        return data;
    }

    [Theory]
    [MemberData(nameof(PresetsAndTypes))]
    public void Llama_cpp_loads_every_tiny_deepseek2_preset(string preset, string fileType)
    {
        string path = Path.Combine(_dir, $"{preset}.{fileType}.gguf");
        SynthModel.Write(new SynthOptions { Arch = "deepseek2", Preset = preset, FileType = fileType, Seed = 3 }, path);
        using LlamaOracle oracle = LlamaOracle.Load(path, ctx: 64);
        float[] logits = oracle.LastLogits([1, 20, 300, 44, 5]);
        Assert.Equal(SynthPresets.Get(preset).NVocab, logits.Length);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        Assert.True(logits.Max() - logits.Min() > 0.05f, $"logit range {logits.Max() - logits.Min()}");
    }

    [Fact]
    public void V2_lite_plan_has_the_published_parameter_counts()
    {
        SynthPlan plan = SynthModel.Plan(new SynthOptions { Preset = "deepseek-v2-lite", FileType = "q4_k_m" });
        Assert.InRange(plan.ParameterCount, 15.6e9, 15.8e9);   // "15.7B total" (DeepSeek-V2 paper / model card)
        string[] names = [.. plan.Tensors.Select(t => t.Name)];
        Assert.Contains("blk.0.ffn_gate.weight", names);          // one leading dense layer
        Assert.DoesNotContain("blk.1.ffn_gate.weight", names);
        Assert.Contains("blk.26.ffn_down_exps.weight", names);
        Assert.Contains("blk.5.attn_q.weight", names);            // Lite: no q-LoRA
        Assert.DoesNotContain("blk.5.attn_q_a.weight", names);
        var kb = plan.Tensors.Single(t => t.Name == "blk.3.attn_k_b.weight");
        Assert.Equal([128L, 512, 16], kb.Dims);
        var gateExps = plan.Tensors.Single(t => t.Name == "blk.3.ffn_gate_exps.weight");
        Assert.Equal([2048L, 1408, 64], gateExps.Dims);
        Assert.Equal(Core.Quant.QuantType.F32, plan.Tensors.Single(t => t.Name == "blk.3.ffn_gate_inp.weight").Type);
        var md = plan.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.True(md.ContainsKey("deepseek2.attention.key_length_mla"));
        Assert.False(md.ContainsKey("deepseek2.attention.q_lora_rank"));
    }

    [Fact]
    public void A_q_lora_rank_that_llama_cpp_would_ignore_is_rejected()
    {
        var shape = SynthPresets.Get("tiny-deepseek2-lite");
        var bad = shape with { Deepseek2 = shape.Deepseek2! with { QLoraRank = 32 } };
        var e = Assert.Throws<ArgumentException>(() => SynthModel.Plan(new SynthOptions { Shape = bad }));
        Assert.Contains("q_lora_rank", e.Message, StringComparison.Ordinal);
    }
}
