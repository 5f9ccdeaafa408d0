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
        foreach (string type in new[] { "f32", "q6_k", "q4_k_m", "q4_0" }) data.Add("tiny-deepseek2-k", type);
        return data;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Logits_and_greedy_continuation_match_llama_cpp(string preset, string fileType)
    {
        double floor = FloatTypes.Contains(fileType) ? 0.9999 : 0.999;
        AssertMatchesLlamaCpp(files.Get(preset, fileType), Prompt, floor, $"{preset} {fileType}");
    }
}
