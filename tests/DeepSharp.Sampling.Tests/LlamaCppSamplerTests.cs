using DeepSharp.Oracle;
using DeepSharp.Sampling;
using LLama.Native;

namespace DeepSharp.Sampling.Tests;

/// <summary>
/// The filtering samplers against llama.cpp's own (b9298 through LLamaSharp 0.30.0): the same logits, history and
/// settings must leave the same candidates with the same logits. The final random draw is not compared (different RNGs).
/// </summary>
public class LlamaCppSamplerTests
{
    private static float[] RandomLogits(ulong seed, int n)
    {
        var rng = new Xoshiro256StarStar(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextGaussian() * 2.5))];
    }

    private static List<(int Id, float Logit)> Ours(float[] logits, int[] history, SamplingOptions o, bool greedy)
    {
        var samplers = new List<ISampler>
        {
            new PenaltySampler(o.PenaltyLastN, o.RepeatPenalty, o.FrequencyPenalty, o.PresencePenalty),
            new TopKSampler(o.TopK), new TopPSampler(o.TopP), new MinPSampler(o.MinP), new TemperatureSampler(o.Temperature),
        };
        if (greedy)
        {
            samplers.Add(new GreedySampler());
        }

        var chain = new SamplerChain(samplers);
        foreach (int t in history)
        {
            chain.Accept(t);
        }

        var c = new TokenCandidates(logits.Length);
        c.Load(logits);
        chain.Apply(c);
        return greedy ? [(c.SelectedId, 0f)] : [.. c.Span.ToArray().Select(t => (t.Id, t.Logit)).OrderBy(t => t.Id)];
    }

    private static List<(int Id, float Logit)> LlamaCpp(float[] logits, int[] history, SamplingOptions o, bool greedy)
    {
        LlamaNative.EnsureLoaded();
        using SafeLLamaSamplerChainHandle chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        chain.AddPenalties(o.PenaltyLastN, o.RepeatPenalty, o.FrequencyPenalty, o.PresencePenalty);
        chain.AddTopK(o.TopK);
        chain.AddTopP(o.TopP, 1);
        chain.AddMinP(o.MinP, 1);
        chain.AddTemperature(o.Temperature);
        if (greedy)
        {
            chain.AddGreedySampler();
        }

        foreach (int t in history)
        {
            chain.Accept((LLamaToken)t);
        }

        LLamaTokenDataArray array = LLamaTokenDataArray.Create(logits);
        using (LLamaTokenDataArrayNative.Create(array, out LLamaTokenDataArrayNative native))
        {
            chain.Apply(ref native);
            if (greedy)
            {
                return [((int)native.Data[(int)native.Selected].ID, 0f)];
            }

            return [.. native.Data[..(int)native.Size].ToArray().Select(t => ((int)t.ID, t.Logit)).OrderBy(t => t.Item1)];
        }
    }

    public static TheoryData<SamplingOptions> Settings() =>
    [
        SamplingOptions.R1Defaults,
        SamplingOptions.R1Defaults with { TopK = 40, MinP = 0.05f },
        SamplingOptions.R1Defaults with { Temperature = 1.3f, TopP = 0.5f, RepeatPenalty = 1.3f, PenaltyLastN = 32 },
        SamplingOptions.R1Defaults with { TopP = 1f, MinP = 0.2f, FrequencyPenalty = 0.7f, PresencePenalty = 0.4f, RepeatPenalty = 1.1f },
        SamplingOptions.R1Defaults with { TopK = 5, TopP = 0.99f, Temperature = 0.2f },
        SamplingOptions.R1Defaults with { Temperature = 0f, TopP = 0.9f, RepeatPenalty = 2f },
    ];

    [Theory]
    [MemberData(nameof(Settings))]
    public void Filters_leave_the_same_candidates_as_llama_cpp(SamplingOptions options)
    {
        for (ulong seed = 1; seed <= 4; seed++)
        {
            float[] logits = RandomLogits(seed, 3000);
            int[] history = [.. Enumerable.Range(0, 80).Select(i => (int)((i * 37 + (int)seed * 11) % 120))];
            List<(int Id, float Logit)> expected = LlamaCpp(logits, history, options, greedy: false);
            List<(int Id, float Logit)> actual = Ours(logits, history, options, greedy: false);
            Assert.Equal(expected.Select(t => t.Id), actual.Select(t => t.Id));
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Logit, actual[i].Logit, 1e-5f);
            }
        }
    }

    [Fact]
    public void Greedy_picks_the_same_token_as_llama_cpp_even_with_ties()
    {
        float[] logits = RandomLogits(9, 500);
        logits[17] = logits[400] = logits.Max() + 1f;   // a tie: llama.cpp takes the first
        var options = SamplingOptions.Greedy with { RepeatPenalty = 1f };
        Assert.Equal(LlamaCpp(logits, [], options, greedy: true), Ours(logits, [], options, greedy: true));
        Assert.Equal(17, Ours(logits, [], options, greedy: true)[0].Id);
    }
}
