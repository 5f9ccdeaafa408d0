using DeepSharp.Kernels.Attention;
using DeepSharp.Oracle;
using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

/// <summary>KV cache and session behaviour on stories260K (a real llama model).</summary>
public sealed class SessionTests
{
    private static readonly int[] Tokens = [1, 403, 407, 261, 378, 432, 383, 286, 261, 300, 310, 320, 330, 340, 350, 360, 370, 380, 390, 400];

    [Theory]
    [InlineData(KvType.F16)]
    [InlineData(KvType.F32)]
    public void Token_by_token_decode_gives_the_same_logits_as_one_batch(KvType kv)
    {
        using var model = Load(TestPaths.Stories260K, kv: kv);
        using var batch = model.CreateSession();
        float[] expected = batch.Prefill(Tokens).ToArray();
        using var single = model.CreateSession();
        ReadOnlySpan<float> logits = default;
        foreach (int t in Tokens) logits = single.Decode(t);
        Assert.True(Cosine(expected, logits) >= 0.999999, $"cosine {Cosine(expected, logits)}");
        Assert.Equal(ArgMax(expected), ArgMax(logits));
        Assert.Equal(Tokens.Length, single.Position);
    }

    [Fact]
    public void Micro_batches_smaller_than_the_prompt_give_the_same_logits()
    {
        using var whole = Load(TestPaths.Stories260K, batch: 64);
        using var pieces = Load(TestPaths.Stories260K, batch: 3);
        using var a = whole.CreateSession();
        using var b = pieces.CreateSession();
        Assert.True(Cosine(a.Prefill(Tokens).ToArray(), b.Prefill(Tokens)) >= 0.999999);
    }

    [Fact]
    public void Q8_0_cache_is_refused_at_load_for_heads_that_are_not_whole_blocks()
    {
        var e = Assert.Throws<ArgumentException>(() => Load(TestPaths.Stories260K, kv: KvType.Q8_0));
        Assert.Contains("multiples of 32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rewind_then_continuing_equals_never_having_gone_further()
    {
        using var model = Load(TestPaths.Stories260K);
        using var reference = model.CreateSession();
        float[] expected = reference.Prefill(Tokens.AsSpan(0, 12)).ToArray();

        using var session = model.CreateSession();
        session.Prefill(Tokens.AsSpan(0, 8));
        session.Prefill([5, 6, 7, 8, 9]);              // a branch we abandon
        session.Rewind(8);
        Assert.Equal(8, session.Position);
        Assert.True(session.Logits.IsEmpty);
        float[] actual = session.Prefill(Tokens.AsSpan(8, 4)).ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Reset_starts_over()
    {
        using var model = Load(TestPaths.Stories260K);
        using var session = model.CreateSession();
        float[] first = session.Prefill(Tokens).ToArray();
        session.Reset();
        Assert.Equal(0, session.Position);
        Assert.Equal(first, session.Prefill(Tokens).ToArray());
    }

    [Fact]
    public void Context_full_is_reported_before_anything_changes()
    {
        using var model = Load(TestPaths.Stories260K, ctx: 16);
        using var session = model.CreateSession();
        Assert.Equal(16, session.ContextSize);
        session.Prefill(Tokens.AsSpan(0, 15));
        Assert.Equal(1, session.Remaining);
        var e = Assert.Throws<ContextFullException>(() => session.Prefill(Tokens.AsSpan(15, 2)));
        Assert.Contains("context full", e.Message, StringComparison.Ordinal);
        Assert.Equal(15, session.Position);
        session.Decode(Tokens[15]);
        Assert.True(session.IsFull);
        Assert.Throws<ContextFullException>(() => session.Decode(1));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        using var model = Load(TestPaths.Stories260K);
        using var session = model.CreateSession();
        Assert.Throws<ArgumentException>(() => session.Prefill([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Decode(model.VocabSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Decode(-1));
        session.Prefill(Tokens.AsSpan(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Rewind(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Rewind(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Load(TestPaths.Stories260K, ctx: -1));
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Decode(1));
    }
}
