using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

/// <summary>
/// <see cref="BatchDecoder"/>: one forward pass over several sessions at different positions must give each session
/// the logits it gets when decoded alone (the batched rows run the same arithmetic), and leave it ready to go on;
/// deepseek2 too (each row its own latent cache, the MoE's experts run over the rows that chose them).
/// </summary>
public sealed class BatchDecodeTests(SynthFiles files) : IClassFixture<SynthFiles>
{
    private static readonly int[][] Prompts = [[1, 17, 42], [1, 5, 300, 7, 12, 250, 64], [9], [2, 4, 6, 8, 10]];

    [Theory]
    [InlineData("tiny-qwen2", "f32")]
    [InlineData("tiny-qwen2", "q8_0")]
    [InlineData("tiny-qwen2-k", "q4_k_m")]
    [InlineData("tiny-llama", "q8_0")]
    [InlineData("tiny-deepseek2", "q8_0")]         // q-LoRA, expert groups, sigmoid gating, shared expert
    [InlineData("tiny-deepseek2-kvb", "f32")]      // plain q, legacy attn_kv_b
    [InlineData("tiny-deepseek2-k", "q4_k_m")]
    public void Batched_steps_give_each_session_its_own_logits(string preset, string fileType)
    {
        using var model = Load(files.Get(preset, fileType));
        var batched = Prompts.Select(_ => model.CreateSession()).ToArray();
        var alone = Prompts.Select(_ => model.CreateSession()).ToArray();
        for (int i = 0; i < Prompts.Length; i++)
        {
            batched[i].Prefill(Prompts[i]);
            alone[i].Prefill(Prompts[i]);
        }
        var decoder = new BatchDecoder(model, maxSequences: 6);
        for (int step = 0; step < 4; step++)
        {
            // Greedy next tokens, so every session keeps growing at its own position.
            int[] next = batched.Select(s => ArgMax(s.Logits)).ToArray();
            decoder.DecodeStep(batched, next);
            for (int i = 0; i < batched.Length; i++)
            {
                float[] expected = alone[i].Decode(next[i]).ToArray();
                AssertClose(expected, batched[i].Logits, $"{preset} {fileType} step {step} session {i}");
                AssertClose(expected, decoder.LogitsOf(i), $"{preset} {fileType} step {step} row {i}");
                Assert.Equal(alone[i].Position, batched[i].Position);
            }
        }
        foreach (var s in batched.Concat(alone)) s.Dispose();
    }

    [Theory]
    [InlineData("tiny-qwen2", "q8_0")]
    [InlineData("tiny-deepseek2", "q8_0")]
    public void A_step_carries_prompt_chunks_beside_decode_tokens(string preset, string fileType)
    {
        using var model = Load(files.Get(preset, fileType));
        Session[] batched = [model.CreateSession(), model.CreateSession(), model.CreateSession()];
        Session[] alone = [model.CreateSession(), model.CreateSession(), model.CreateSession()];
        batched[0].Prefill(Prompts[0]);
        alone[0].Prefill(Prompts[0]);
        var decoder = new BatchDecoder(model, maxSequences: 3, maxRows: 12);
        // Session 0 decodes one token while 1 reads its whole prompt and 2 the first half of its prompt.
        int[] first = [33, .. Prompts[1], .. Prompts[3][..2]];
        decoder.Step(batched, first, [1, Prompts[1].Length, 2]);
        AssertClose(alone[0].Decode(33).ToArray(), batched[0].Logits, $"{preset} decode beside prompts");
        AssertClose(alone[1].Prefill(Prompts[1]).ToArray(), batched[1].Logits, $"{preset} whole prompt");
        AssertClose(alone[2].Prefill(Prompts[3].AsSpan(0, 2)).ToArray(), batched[2].Logits, $"{preset} half prompt");
        // Then the rest of session 2's prompt (listed first) beside two decode tokens.
        decoder.Step([batched[2], batched[0], batched[1]], [.. Prompts[3][2..], 44, 55], [Prompts[3].Length - 2, 1, 1]);
        AssertClose(alone[2].Prefill(Prompts[3].AsSpan(2)).ToArray(), batched[2].Logits, $"{preset} rest of the prompt");
        AssertClose(alone[0].Decode(44).ToArray(), batched[0].Logits, $"{preset} second decode");
        AssertClose(alone[1].Decode(55).ToArray(), batched[1].Logits, $"{preset} decode after the batched prompt");
        for (int i = 0; i < 3; i++) Assert.Equal(alone[i].Position, batched[i].Position);
        foreach (var s in batched.Concat(alone)) s.Dispose();
    }

    [Fact]
    public void A_subset_of_sessions_can_step_while_others_wait()
    {
        using var model = Load(files.Get("tiny-qwen2", "q8_0"));
        using var a = model.CreateSession();
        using var b = model.CreateSession();
        using var reference = model.CreateSession();
        a.Prefill(Prompts[0]);
        b.Prefill(Prompts[1]);
        reference.Prefill(Prompts[0]);
        var decoder = new BatchDecoder(model, maxSequences: 2);
        decoder.DecodeStep([a], [33]);
        decoder.DecodeStep([b, a], [44, 55]);
        reference.Decode(33);
        AssertClose(reference.Decode(55).ToArray(), a.Logits, "a after two steps");
        Assert.Equal(Prompts[1].Length + 1, b.Position);
    }

    [Fact]
    public void Invalid_steps_are_refused_before_anything_changes()
    {
        using var model = Load(files.Get("tiny-qwen2", "q8_0"), ctx: 8);
        using var other = Load(files.Get("tiny-qwen2", "q8_0"), ctx: 8);
        using var a = model.CreateSession();
        using var full = model.CreateSession();
        using var foreign = other.CreateSession();
        full.Prefill([1, 2, 3, 4, 5, 6, 7, 8]);
        var decoder = new BatchDecoder(model, maxSequences: 2);
        Assert.Throws<ArgumentException>(() => decoder.DecodeStep([a, a], [1, 2]));
        Assert.Throws<ArgumentException>(() => decoder.DecodeStep([a], [1, 2]));
        Assert.Throws<ArgumentException>(() => decoder.DecodeStep([foreign], [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.DecodeStep([a], [model.VocabSize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.DecodeStep([a, full, foreign], [1, 2, 3]));
        Assert.Throws<ContextFullException>(() => decoder.DecodeStep([a, full], [1, 2]));
        Assert.Throws<ArgumentException>(() => decoder.Step([a], [1, 2, 3], [2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Step([a, full], [1, 2], [2, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Step([a], [1, 2, 3], [3]));     // beyond MaxRows (2)
        Assert.Throws<ContextFullException>(() => new BatchDecoder(model, 1, 16).Step([a], [1, 2, 3, 4, 5, 6, 7, 8, 9], [9]));
        Assert.Equal(0, a.Position);
        Assert.Equal(8, full.Position);
    }

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        double cosine = Cosine(expected, actual);
        Assert.True(cosine >= 0.99999, $"{what}: cosine {cosine}");
        float scale = expected.Max(MathF.Abs);
        for (int j = 0; j < expected.Length; j++)
            Assert.True(MathF.Abs(expected[j] - actual[j]) <= 1e-5f * scale, $"{what}: logit {j} {actual[j]} vs {expected[j]}");
    }
}
