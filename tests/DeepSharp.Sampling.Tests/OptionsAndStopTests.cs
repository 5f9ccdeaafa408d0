using DeepSharp.Sampling;

namespace DeepSharp.Sampling.Tests;

public class OptionsAndStopTests
{
    [Fact]
    public void Defaults_are_the_R1_model_card()
    {
        var o = SamplingOptions.R1Defaults;
        Assert.Equal(0.6f, o.Temperature);
        Assert.Equal(0.95f, o.TopP);
        Assert.Equal(0, o.TopK);
        Assert.Equal(0f, o.MinP);
        Assert.Equal(1f, o.RepeatPenalty);
    }

    [Fact]
    public void Model_keys_override_defaults_and_a_declared_zero_counts()
    {
        var o = SamplingOptions.R1Defaults.WithModelDefaults(new Dictionary<string, object>
        {
            ["general.sampling.temp"] = 0.7f,
            ["general.sampling.top_k"] = 20u,
            ["general.sampling.top_p"] = 0.8d,
            ["general.sampling.min_p"] = 0f,
            ["general.sampling.penalty_repeat"] = 1.05f,
            ["general.sampling.penalty_last_n"] = 128L,
            ["general.sampling.sequence"] = "penalties;top_k;top_p;temp",
        });
        Assert.Equal(new SamplingOptions { Temperature = 0.7f, TopK = 20, TopP = 0.8f, MinP = 0f, RepeatPenalty = 1.05f, PenaltyLastN = 128 }, o);
    }

    [Fact]
    public void Model_keys_with_bad_types_or_values_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => SamplingOptions.R1Defaults.WithModelDefaults(new Dictionary<string, object> { ["general.sampling.top_k"] = 2.5f }));
        Assert.Throws<ArgumentException>(() => SamplingOptions.R1Defaults.WithModelDefaults(new Dictionary<string, object> { ["general.sampling.temp"] = "hot" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SamplingOptions.R1Defaults.WithModelDefaults(new Dictionary<string, object> { ["general.sampling.top_p"] = 1.5f }));
    }

    [Theory]
    [InlineData(-0.1f, 0, 0.9f, 1f)]
    [InlineData(float.NaN, 0, 0.9f, 1f)]
    [InlineData(0.6f, -1, 0.9f, 1f)]
    [InlineData(0.6f, 0, 1.1f, 1f)]
    [InlineData(0.6f, 0, 0.9f, 0f)]
    public void Invalid_options_throw(float temperature, int topK, float topP, float repeat)
    {
        var o = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, RepeatPenalty = repeat };
        Assert.Throws<ArgumentOutOfRangeException>(o.Validate);
        Assert.Throws<ArgumentOutOfRangeException>(() => o.CreateChain());
    }

    [Fact]
    public void Unseeded_options_report_the_seed_they_used_so_a_run_can_be_repeated()
    {
        var build = SamplingOptions.R1Defaults.CreateChain();
        float[] logits = [.. Enumerable.Range(0, 50).Select(i => MathF.Sin(i))];
        int first = build.Chain.Sample(logits);
        var again = (SamplingOptions.R1Defaults with { Seed = build.Seed }).CreateChain();
        Assert.Equal(first, again.Chain.Sample(logits));
    }

    [Fact]
    public void Stop_string_split_across_chunks_is_held_back_and_cut()
    {
        var m = new StopStringMatcher(["</think>", "STOP"]);
        Assert.Equal(new StopMatch("Hello ", false, null), m.Push("Hello </th"));
        Assert.Equal(new StopMatch("", false, null), m.Push("in"));
        Assert.Equal(new StopMatch("", true, "</think>"), m.Push("k> world"));
        Assert.True(m.Stopped);
        Assert.Equal(new StopMatch("", true, null), m.Push("more"));
        Assert.Equal("", m.Flush());
    }

    [Fact]
    public void Held_text_is_released_when_it_turns_out_not_to_be_a_stop()
    {
        var m = new StopStringMatcher(["</think>"]);
        Assert.Equal("a ", m.Push("a </").Text);
        Assert.Equal("</b> c", m.Push("b> c").Text);
        Assert.Equal("x ", m.Push("x <").Text);
        Assert.Equal("<", m.Flush());
    }

    [Fact]
    public void Earliest_stop_wins_and_text_before_it_is_released()
    {
        var m = new StopStringMatcher(["world", "lo w"]);
        Assert.Equal(new StopMatch("hel", true, "lo w"), m.Push("hello world"));
    }

    [Fact]
    public void Empty_stop_strings_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new StopStringMatcher([""]));
    }
}
