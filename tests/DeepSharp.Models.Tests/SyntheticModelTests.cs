using System.Collections.Concurrent;
using DeepSharp.Oracle;
using DeepSharp.Synth;
using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

/// <summary>Seeded random-weight GGUF files (DeepSharp.Synth) written once per test run into a temp folder.</summary>
public sealed class SynthFiles : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsharp-synth-").FullName;
    private readonly ConcurrentDictionary<string, string> _paths = new();

    public string Get(string preset, string fileType) => _paths.GetOrAdd($"{preset}.{fileType}", key =>
    {
        string path = Path.Combine(_dir, key + ".gguf");
        SynthModel.Write(new SynthOptions { Preset = preset, FileType = fileType, Seed = 7, Threads = Threads }, path);
        return path;
    });

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

/// <summary>
/// Small synthetic qwen2 and llama models of several shapes (head counts and sizes that are not powers of two,
/// tied and untied output, llama-3 rope factors) at every weight type, against llama.cpp.
/// </summary>
public sealed class SyntheticModelTests(SynthFiles files) : IClassFixture<SynthFiles>
{
    private static readonly int[] Prompt = [1, 17, 42, 99, 5, 300, 7, 12, 250, 64, 3];
    private static readonly string[] FloatTypes = ["f32", "f16", "bf16"];
    private static readonly string[] QuantTypes = ["q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k"];


    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string preset in new[] { "tiny-qwen2", "tiny-qwen2-tied", "tiny-qwen2-k", "tiny-llama", "tiny-llama-tied" })
            foreach (string type in FloatTypes.Concat(QuantTypes))
                data.Add(preset, type);
        foreach (string type in FloatTypes) data.Add("tiny-qwen2-odd", type);   // 72-wide rows fit no quant block
        return data;
    }


    [Theory, MemberData(nameof(Cases))]
    public void Logits_and_greedy_continuation_match_llama_cpp(string preset, string fileType)
    {
        double floor = FloatTypes.Contains(fileType) ? 0.9999 : 0.999;
        AssertMatchesLlamaCpp(files.Get(preset, fileType), Prompt, floor, $"{preset} {fileType}");
    }

    [Theory]
    [InlineData("tiny-qwen2", 0)]
    [InlineData("tiny-qwen2", 2)]
    [InlineData("tiny-llama", 1)]
    public void Dropping_one_layer_moves_the_logits_far_outside_the_tolerance(string preset, int layer)
    {
        AssertLayerMatters(files.Get(preset, "f32"), Prompt, layer);
    }

    [Fact]
    public void Qwen2_spec_has_neox_rope_and_biases_and_tied_output_is_detected()
    {
        using var untied = Load(files.Get("tiny-qwen2", "f32"));
        Assert.Equal(Kernels.Float.RopeStyle.Neox, untied.Spec.Rope.Style);
        Assert.True(untied.Spec.QkvBias);
        Assert.False(untied.Network.TiedOutput);
        using var tied = Load(files.Get("tiny-qwen2-tied", "f32"));
        Assert.True(tied.Network.TiedOutput);
        using var llama = Load(files.Get("tiny-llama", "f32"));
        Assert.NotNull(llama.Spec.Rope.FreqFactors);
    }

    [Theory]
    [InlineData(Kernels.Attention.KvType.F32, 0.9999)]
    [InlineData(Kernels.Attention.KvType.Q8_0, 0.999)]
    public void Other_kv_cache_types_stay_close_to_llama_cpp(Kernels.Attention.KvType kv, double floor)
    {
        string path = files.Get("tiny-qwen2-k", "f32");   // head size 64: whole Q8_0 blocks
        using var oracle = LlamaOracle.Load(path, ctx: 64);
        float[] expected = oracle.LastLogits(Prompt);
        using var model = Load(path, ctx: 64, kv: kv);
        using var session = model.CreateSession();
        double cosine = Cosine(expected, session.Prefill(Prompt));
        Assert.True(cosine >= floor, $"{kv}: cosine {cosine}");
    }
}
