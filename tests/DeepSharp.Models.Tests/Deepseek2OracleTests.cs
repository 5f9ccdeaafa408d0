using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

/// <summary>
/// Synthetic deepseek2 models (every MLA/MoE branch, see Synth's Deepseek2Presets) against llama.cpp: last-token
/// logits and a 32-token greedy continuation.
/// </summary>
public sealed class Deepseek2OracleTests(SynthFiles files) : IClassFixture<SynthFiles>
{
    private static readonly int[] Prompt = [1, 5, 77, 300, 12, 8, 450, 33, 2, 99, 60];
    private static readonly string[] FloatTypes = ["f32", "f16"];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string preset in new[] { "tiny-deepseek2", "tiny-deepseek2-lite", "tiny-deepseek2-kvb" })
            foreach (string type in new[] { "f32", "f16", "q8_0" })
                data.Add(preset, type);
        foreach (string type in new[] { "f32", "q6_k" }) data.Add("tiny-deepseek2-k", type);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Logits_and_greedy_continuation_match_llama_cpp(string preset, string fileType)
    {
        double floor = FloatTypes.Contains(fileType) ? 0.9999 : 0.999;
        AssertMatchesLlamaCpp(files.Get(preset, fileType), Prompt, floor, $"{preset} {fileType}");
    }

    /// <summary>
    /// Q4_K (and Q4_0) files: logits only. With the repacked-Q4 integer dots merged in 37ccd2f the Q4_K matmuls are
    /// within cosine ~0.9998 of llama.cpp here (tiny-qwen2-k gives ~0.9999 on this prompt too), so a 32-token greedy
    /// run meets a near tie (margin 0.002) at token 29; the kernels' owner has the details.
    /// </summary>
    [Fact]
    public void Q4_k_m_logits_match_llama_cpp()
    {
        string path = files.Get("tiny-deepseek2-k", "q4_k_m");
        using var oracle = Oracle.LlamaOracle.Load(path, ctx: 64);
        float[] expected = oracle.LastLogits(Prompt);
        using var model = Load(path, ctx: 64);
        using var session = model.CreateSession();
        var logits = session.Prefill(Prompt);
        Assert.True(Cosine(expected, logits) >= 0.999, $"cosine {Cosine(expected, logits)}");
        Assert.Equal(ArgMax(expected), ArgMax(logits));
    }
}
