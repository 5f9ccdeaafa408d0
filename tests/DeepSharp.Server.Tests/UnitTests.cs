using DeepSharp.Server.Scheduling;

namespace DeepSharp.Server.Tests;

/// <summary>The pieces under the endpoints: JSON-prefix automaton, log-softmax, common prefix, loopback warning.</summary>
public sealed class UnitTests
{
    [Theory]
    [InlineData("{}", true)]
    [InlineData("  {\"a\": [1, -2.5e+3, true, null, \"x\\u00e9\\n\"], \"b\": {}}", true)]
    [InlineData("{\"a\":[]}", true)]
    [InlineData("{\"a\":0}", true)]
    public void Json_prefix_accepts_complete_objects(string text, bool complete)
    {
        var json = new JsonPrefix();
        Assert.True(json.TryPush(text));
        Assert.Equal(complete, json.IsComplete);
        // Every prefix is also accepted and not complete before the end.
        for (int n = 0; n < text.TrimEnd().Length - 1; n++)
        {
            var p = new JsonPrefix();
            Assert.True(p.TryPush(text.AsSpan(0, n)));
            Assert.False(p.IsComplete);
        }
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"x\"")]
    [InlineData("{a:1}")]
    [InlineData("{\"a\":01}")]
    [InlineData("{\"a\":[1,]}")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\":tru }")]
    [InlineData("{\"a\":1}}")]
    [InlineData("{\"a\":1} x")]
    [InlineData("{\"a\":\"\u0001\"}")]
    [InlineData("{\"a\":-}")]
    public void Json_prefix_rejects_what_no_json_object_starts_with(string text) =>
        Assert.False(new JsonPrefix().TryPush(text));

    [Fact]
    public void Log_softmax_and_top_ids_match_a_direct_computation()
    {
        float[] logits = [1f, 3f, -2f, 3f, 0.5f];
        double z = logits.Sum(l => Math.Exp(l));
        Assert.Equal(Math.Log(z), Logprobs.LogSumExp(logits), 5);
        Assert.Equal([1, 3, 0], Logprobs.TopIds(logits, 3));
        Assert.Empty(Logprobs.TopIds(logits, 0));
        Assert.Equal([1, 3, 0, 4, 2], Logprobs.TopIds(logits, 10));
    }

    [Fact]
    public void Common_prefix_counts_shared_leading_tokens()
    {
        Assert.Equal(0, SlotScheduler.CommonPrefix([], [1, 2]));
        Assert.Equal(2, SlotScheduler.CommonPrefix([1, 2, 3], [1, 2, 4, 5]));
        Assert.Equal(2, SlotScheduler.CommonPrefix([1, 2], [1, 2, 4]));
        Assert.Equal(3, SlotScheduler.CommonPrefix([1, 2, 3, 9], [1, 2, 3]));
    }

    [Theory]
    [InlineData("127.0.0.1", null, false)]
    [InlineData("localhost", null, false)]
    [InlineData("::1", null, false)]
    [InlineData("0.0.0.0", null, true)]
    [InlineData("0.0.0.0", "key", false)]
    [InlineData("192.168.1.5", null, true)]
    public void Binding_beyond_loopback_without_a_key_is_flagged(string host, string? key, bool exposed) =>
        Assert.Equal(exposed, new ServerOptions { Host = host, ApiKey = key }.IsExposedWithoutKey);

    [Fact]
    public void Output_router_splits_per_format()
    {
        static (string, string) Run(ReasoningFormat f)
        {
            var r = new OutputRouter(f, startsInReasoning: true);
            var (r1, c1) = r.Push("abc</th");
            var (r2, c2) = r.Push("ink>\n\nhi");
            var (r3, c3) = r.Flush();
            return (r1 + r2 + r3, c1 + c2 + c3);
        }
        Assert.Equal(("abc", "hi"), Run(ReasoningFormat.DeepSeek));
        Assert.Equal(("", "<think>\nabc</think>\n\nhi"), Run(ReasoningFormat.None));
        Assert.Equal(("abc", "<think>\nabc</think>\n\nhi"), Run(ReasoningFormat.DeepSeekLegacy));
    }
}
