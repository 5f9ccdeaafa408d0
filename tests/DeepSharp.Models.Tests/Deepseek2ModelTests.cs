using DeepSharp.Gguf;
using DeepSharp.Kernels.Attention;
using DeepSharp.Models.Architectures;
using DeepSharp.Oracle;
using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

/// <summary>deepseek2 without llama.cpp in the loop: absorbed vs naive MLA, the latent cache size, bad files.</summary>
public sealed class Deepseek2ModelTests(SynthFiles files) : IClassFixture<SynthFiles>, IDisposable
{
    private static readonly int[] Prompt = [1, 5, 77, 300, 12, 8, 450, 33, 2, 99, 60];
    private readonly string _dir = Directory.CreateTempSubdirectory("ds2-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("tiny-deepseek2")]       // attn_k_b / attn_v_b
    [InlineData("tiny-deepseek2-kvb")]   // legacy attn_kv_b
    public void Absorbed_attention_equals_the_decompressed_keys_and_values(string preset)
    {
        using var model = Load(files.Get(preset, "f32"), ctx: 64, kv: KvType.F32);
        var net = (Deepseek2)model.Network;
        using var absorbed = model.CreateSession();
        using var naive = model.CreateSession();
        int[] next = [40, 41, 42];
        float[] a = absorbed.Prefill(Prompt).ToArray();
        net.NaiveAttention = true;
        float[] b = naive.Prefill(Prompt).ToArray();
        AssertClose(a, b);
        foreach (int token in next)
        {
            net.NaiveAttention = false;
            a = absorbed.Decode(token).ToArray();
            net.NaiveAttention = true;
            b = naive.Decode(token).ToArray();
            AssertClose(a, b);
        }
    }

    private static void AssertClose(float[] a, float[] b)
    {
        Assert.True(Cosine(a, b) > 0.999999, $"cosine {Cosine(a, b)}");
        float scale = a.Max(MathF.Abs);
        for (int i = 0; i < a.Length; i++) Assert.True(MathF.Abs(a[i] - b[i]) <= 1e-4f * scale, $"logit {i}: {a[i]} vs {b[i]}");
    }

    [Fact]
    public void The_cache_holds_only_the_latent_and_the_rope_key_per_token_and_layer()
    {
        using var model = Load(files.Get("tiny-deepseek2", "f16"), ctx: 64);
        using var session = model.CreateSession();
        // 3 layers × 64 positions × (kv_lora 64 + rope 16) f16 values; naive MHA would be 4 heads × (48 + 32).
        Assert.Equal(3L * 64 * (64 + 16) * 2, session.KvCacheBytes);
        Assert.Throws<InvalidOperationException>(() => session.KvCache);
    }

    [Theory]
    [InlineData(0)]   // the dense layer
    [InlineData(2)]   // an MoE layer
    public void Dropping_one_layer_moves_the_logits_far_outside_the_tolerance(int layer)
    {
        AssertLayerMatters(files.Get("tiny-deepseek2", "f32"), Prompt, layer);
    }

    [Fact]
    public void A_missing_expert_tensor_is_named()
    {
        string path = Rewrite("tiny-deepseek2", dropTensor: "blk.1.ffn_up_exps.weight");
        var e = Assert.Throws<MissingTensorException>(() => Load(path));
        Assert.Equal("blk.1.ffn_up_exps.weight", e.TensorName);
        Assert.Contains("[64, 32, 12]", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deepseek2.attention.kv_lora_rank")]
    [InlineData("deepseek2.expert_feed_forward_length")]
    [InlineData("deepseek2.attention.q_lora_rank")]
    public void A_missing_key_is_named(string key)
    {
        string path = Rewrite("tiny-deepseek2", dropKey: key);
        var e = Assert.Throws<GgufFormatException>(() => Load(path));
        Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expert_count_that_does_not_match_the_tensors_is_rejected()
    {
        string path = Rewrite("tiny-deepseek2", setKey: ("deepseek2.expert_count", GgufValue.Of(8u)));
        var e = Assert.Throws<ModelFormatException>(() => Load(path));
        Assert.Contains("blk.1.ffn_gate_exps.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected [64, 32, 8]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rank_that_does_not_match_the_tensors_is_rejected()
    {
        string absorbed = Rewrite("tiny-deepseek2", setKey: ("deepseek2.attention.kv_lora_rank", GgufValue.Of(48u)));
        var e = Assert.Throws<GgufFormatException>(() => Load(absorbed));
        Assert.Contains("key_length 80 must be kv_lora_rank + rope dims = 64", e.Message, StringComparison.Ordinal);
        string legacy = Rewrite("tiny-deepseek2-kvb", setKey: ("deepseek2.attention.q_lora_rank", GgufValue.Of(64u)));
        var shape = Assert.Throws<ModelFormatException>(() => Load(legacy));
        Assert.Contains("blk.0.attn_q_a.weight", shape.Message, StringComparison.Ordinal);
    }

    // The f32 file of a preset, rewritten without a tensor or key, or with one key's value replaced.
    private string Rewrite(string preset, string? dropTensor = null, string? dropKey = null, (string Key, GgufValue Value)? setKey = null)
    {
        using var source = GgufFile.Open(files.Get(preset, "f32"));
        string path = Path.Combine(_dir, $"{preset}-{dropTensor}{dropKey}{setKey?.Key}.gguf");
        var metadata = source.Metadata
            .Where(kv => kv.Key != dropKey)
            .Select(kv => setKey is { } set && kv.Key == set.Key ? new KeyValuePair<string, GgufValue>(kv.Key, set.Value) : kv);
        GgufWriter.WriteFile(path, metadata,
            source.Tensors.Where(t => t.Name != dropTensor).Select(t => GgufTensorSource.FromFile(source, t)));
        return path;
    }
}
