using DeepSharp.Sampling;

namespace DeepSharp.Sampling.Tests;

public class SamplerTests
{
    private static float[] LogitsFromProbabilities(params double[] p) => [.. p.Select(x => (float)Math.Log(x))];

    private static TokenCandidates Load(params float[] logits)
    {
        var c = new TokenCandidates(logits.Length);
        c.Load(logits);
        return c;
    }

    private static int[] Ids(TokenCandidates c) => [.. c.Span.ToArray().Select(t => t.Id)];

    [Fact]
    public void Greedy_takes_the_first_maximum_like_llama_cpp()
    {
        var c = Load(1f, 3f, 3f, 2f);
        new GreedySampler().Apply(c);
        Assert.Equal(1, c.SelectedId);
    }

    [Fact]
    public void Greedy_pick_from_raw_logits_matches_the_candidate_list_on_ties_nans_zeros_and_infinities()
    {
        var random = new Random(7);
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 3f, 3f];
        for (int trial = 0; trial < 2000; trial++)
        {
            int n = trial < 100 ? 1 + trial % 40 : random.Next(1, 300);
            var logits = new float[n];
            for (int i = 0; i < n; i++)
                logits[i] = random.Next(4) == 0 ? specials[random.Next(specials.Length)] : random.Next(-3, 4);
            var c = Load(logits);
            new GreedySampler().Apply(c);
            Assert.Equal(c.SelectedId, GreedySampler.Pick(logits));
        }
    }

    [Fact]
    public void A_greedy_chain_without_penalties_picks_from_the_logits_and_one_with_penalties_still_penalises()
    {
        float[] logits = [1f, 3f, 3f, 2f];
        var plain = new SamplerChain([new PenaltySampler(64, 1f, 0f, 0f), new GreedySampler()]);
        plain.Accept(1);
        Assert.Equal(1, plain.Sample(logits));
        Assert.Null(plain.LastCandidates);

        var penalised = new SamplerChain([new PenaltySampler(64, 2f, 0f, 0f), new GreedySampler()]);
        penalised.Accept(1);
        Assert.Equal(2, penalised.Sample(logits));   // token 1's 3 becomes 1.5
        Assert.Throws<ArgumentException>(() => plain.Sample([]));
    }

    [Fact]
    public void Temperature_zero_keeps_only_the_first_maximum()
    {
        var c = Load(1f, 3f, 3f, 2f);
        new TemperatureSampler(0f).Apply(c);
        Assert.Equal([float.NegativeInfinity, 3f, float.NegativeInfinity, float.NegativeInfinity], c.Span.ToArray().Select(t => t.Logit));
    }

    [Fact]
    public void Temperature_divides_logits()
    {
        var c = Load(1f, -2f);
        new TemperatureSampler(0.5f).Apply(c);
        Assert.Equal([2f, -4f], c.Span.ToArray().Select(t => t.Logit));
    }

    [Fact]
    public void Chain_with_temperature_zero_returns_argmax_whatever_the_seed()
    {
        float[] logits = [0.1f, 0.5f, 2.5f, 2.4f, -1f];
        for (ulong seed = 0; seed < 20; seed++)
        {
            var build = (SamplingOptions.R1Defaults with { Temperature = 0, Seed = seed }).CreateChain();
            Assert.Equal(2, build.Chain.Sample(logits));
        }
    }

    [Fact]
    public void TopK_keeps_the_k_largest_sorted_descending()
    {
        var c = Load(0.3f, 5f, -1f, 4f, 4.5f, 0f);
        new TopKSampler(3).Apply(c);
        Assert.Equal([1, 4, 3], Ids(c));
        Assert.True(c.IsSorted);
    }

    [Fact]
    public void TopK_zero_is_off()
    {
        var c = Load(0.3f, 5f, -1f);
        new TopKSampler(0).Apply(c);
        Assert.Equal(3, c.Count);
    }

    // p = [0.5, 0.3, 0.15, 0.05] (ids shuffled): cumulative 0.5, 0.8, 0.95, 1.0.
    [Theory]
    [InlineData(0.45f, new[] { 2 })]
    [InlineData(0.75f, new[] { 2, 0 })]
    [InlineData(0.85f, new[] { 2, 0, 3 })]
    [InlineData(0.99f, new[] { 2, 0, 3, 1 })]
    public void TopP_keeps_the_smallest_prefix_reaching_p(float p, int[] expected)
    {
        var c = Load(LogitsFromProbabilities(0.3, 0.05, 0.5, 0.15));
        new TopPSampler(p).Apply(c);
        Assert.Equal(expected, Ids(c));
    }

    [Fact]
    public void TopP_prefilter_gives_the_same_nucleus_as_sorting_everything()
    {
        var rng = new Xoshiro256StarStar(7);
        foreach (float p in new[] { 0.1f, 0.5f, 0.9f, 0.95f, 0.999f })
        {
            float[] logits = [.. Enumerable.Range(0, 5000).Select(_ => (float)(rng.NextGaussian() * 3))];
            var c = Load(logits);
            new TopPSampler(p).Apply(c);

            var fullySorted = Load(logits);
            new TopKSampler(int.MaxValue).Apply(fullySorted);   // sorted input: the nucleus is cut without the prefilter
            new TopPSampler(p).Apply(fullySorted);
            Assert.InRange(c.Count, 1, 4999);
            Assert.Equal(Ids(fullySorted), Ids(c));
        }
    }

    // p = [0.5, 0.3, 0.15, 0.05]: min-p 0.2 keeps p >= 0.1; 0.5 keeps p >= 0.25. Order is preserved.
    [Theory]
    [InlineData(0.2f, new[] { 0, 1, 2 })]
    [InlineData(0.5f, new[] { 0, 1 })]
    [InlineData(0.0f, new[] { 0, 1, 2, 3 })]
    public void MinP_keeps_tokens_above_a_fraction_of_the_top_probability(float minP, int[] expected)
    {
        var c = Load(LogitsFromProbabilities(0.5, 0.3, 0.15, 0.05));
        new MinPSampler(minP).Apply(c);
        Assert.Equal(expected, Ids(c));
    }

    [Fact]
    public void Penalties_follow_llama_cpp_formulas()
    {
        var s = new PenaltySampler(lastN: 8, repeatPenalty: 2f, frequencyPenalty: 0.5f, presencePenalty: 0.25f);
        s.Accept(0);
        s.Accept(1);
        s.Accept(1);
        var c = Load(2f, -2f, 1f, 0.5f);
        s.Apply(c);
        // token 0 seen once: 2/2 - 0.5 - 0.25; token 1 seen twice: -2*2 - 2*0.5 - 0.25; others untouched.
        Assert.Equal([0.25f, -5.25f, 1f, 0.5f], c.Span.ToArray().Select(t => t.Logit));
    }

    [Fact]
    public void Penalties_only_see_the_last_n_tokens()
    {
        var s = new PenaltySampler(lastN: 2, repeatPenalty: 2f, frequencyPenalty: 0f, presencePenalty: 0f);
        foreach (int t in new[] { 0, 1, 1 })
        {
            s.Accept(t);
        }

        var c = Load(2f, 2f, 2f);
        s.Apply(c);
        Assert.Equal([2f, 1f, 2f], c.Span.ToArray().Select(t => t.Logit));

        s.Reset();
        c.Load([2f, 2f, 2f]);
        s.Apply(c);
        Assert.Equal([2f, 2f, 2f], c.Span.ToArray().Select(t => t.Logit));
    }

    [Fact]
    public void Distribution_draws_follow_the_probabilities()
    {
        var s = new DistributionSampler(seed: 12345);
        float[] logits = LogitsFromProbabilities(0.5, 0.3, 0.2);
        var c = new TokenCandidates(3);
        int[] counts = new int[3];
        const int draws = 20000;
        for (int i = 0; i < draws; i++)
        {
            c.Load(logits);
            s.Apply(c);
            counts[c.SelectedId]++;
        }

        // Standard error of each frequency is < 0.004; 0.015 is almost 4 sigma, and the seed makes it fixed anyway.
        Assert.InRange(counts[0] / (double)draws, 0.485, 0.515);
        Assert.InRange(counts[1] / (double)draws, 0.285, 0.315);
        Assert.InRange(counts[2] / (double)draws, 0.185, 0.215);
    }

    [Fact]
    public void Same_seed_gives_the_same_tokens_and_reset_replays_them()
    {
        var rng = new Xoshiro256StarStar(99);
        float[][] steps = [.. Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, 300).Select(_ => (float)rng.NextGaussian()).ToArray())];
        var options = SamplingOptions.R1Defaults with { Seed = 42, TopK = 40, MinP = 0.01f, RepeatPenalty = 1.1f, PenaltyLastN = 16 };

        int[] Run(SamplerChain chain)
        {
            var result = new int[steps.Length];
            for (int i = 0; i < steps.Length; i++)
            {
                result[i] = chain.Sample(steps[i]);
                chain.Accept(result[i]);
            }

            return result;
        }

        SamplerChain a = options.CreateChain().Chain;
        int[] first = Run(a);
        Assert.Equal(first, Run(options.CreateChain().Chain));
        a.Reset();
        Assert.Equal(first, Run(a));
        Assert.NotEqual(first, Run((options with { Seed = 43 }).CreateChain().Chain));
    }

    [Fact]
    public void Sampling_does_not_allocate_per_token()
    {
        var rng = new Xoshiro256StarStar(5);
        float[] logits = [.. Enumerable.Range(0, 151936).Select(_ => (float)rng.NextGaussian())];
        SamplerChain chain = (SamplingOptions.R1Defaults with { Seed = 1, TopK = 40, MinP = 0.05f, RepeatPenalty = 1.1f }).CreateChain().Chain;
        for (int i = 0; i < 3; i++)
        {
            chain.Accept(chain.Sample(logits));   // warm-up: buffers reach their final size
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            chain.Accept(chain.Sample(logits));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Xoshiro256StarStar_matches_the_reference_implementation()
    {
        // Reference outputs of xoshiro256starstar.c from state {1, 2, 3, 4}.
        var rng = new Xoshiro256StarStar(1, 2, 3, 4);
        Assert.Equal([11520UL, 0UL, 1509978240UL, 1215971899390074240UL], new[] { rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64(), rng.NextUInt64() });

        // splitmix64.c from state 0.
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, Xoshiro256StarStar.SplitMix64(ref state));
    }
}
