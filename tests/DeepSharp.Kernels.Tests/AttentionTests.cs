using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Tests;

public sealed class AttentionTests
{
    // nHead=6 over nHeadKv=2 (groups of 3), headDim 64 (Q8_0 needs multiples of 32), a batch of 3 after 4 cached.
    private const int NHead = 6, NHeadKv = 2, HeadDim = 64, NCtx = 16, Pos0 = 4, NTok = 3;

    [Theory]
    [InlineData(KvType.F32, 1e-5)]
    [InlineData(KvType.F16, 2e-3)]
    [InlineData(KvType.Q8_0, 2e-2)]
    public void Causal_gqa_attention_matches_naive_double_precision(KvType type, double tolerance)
    {
        int width = NHeadKv * HeadDim, n = Pos0 + NTok;
        var keys = TestData.Random(n * width, 1, 2f);
        var values = TestData.Random(n * width, 2);
        var q = TestData.Random(NTok * NHead * HeadDim, 3, 2f);
        var kv = new KvCache(type, nLayer: 2, NCtx, width, width, HeadDim, HeadDim);
        for (int p = 0; p < n; p++) kv.Store(1, p, keys.AsSpan(p * width, width), values.AsSpan(p * width, width));
        using var pool = new WorkerPool(2);
        var attn = new CausalAttention(pool, NHead, NHeadKv, HeadDim, HeadDim, NCtx);
        var output = new float[NTok * NHead * HeadDim];
        attn.Run(kv, 1, q, NTok, Pos0, output);

        for (int t = 0; t < NTok; t++)
            for (int h = 0; h < NHead; h++)
            {
                int g = h / (NHead / NHeadKv), visible = Pos0 + t + 1;
                var scores = new double[visible];
                for (int s = 0; s < visible; s++)
                {
                    double dot = 0;
                    for (int i = 0; i < HeadDim; i++) dot += q[(t * NHead + h) * HeadDim + i] * keys[s * width + g * HeadDim + i];
                    scores[s] = dot / Math.Sqrt(HeadDim);
                }
                double max = scores.Max(), sum = scores.Sum(v => Math.Exp(v - max));
                for (int i = 0; i < HeadDim; i++)
                {
                    double expected = 0;
                    for (int s = 0; s < visible; s++) expected += Math.Exp(scores[s] - max) / sum * values[s * width + g * HeadDim + i];
                    Assert.Equal(expected, output[(t * NHead + h) * HeadDim + i], tolerance);
                }
            }
    }

    // The F16 path runs a KV group's query heads together; each head must take exactly the steps llama.cpp's one-row
    // flash attention takes (the reference below, one head at a time straight from the f16 cache), bit for bit.
    [Theory]
    [InlineData(64)]
    [InlineData(96)]    // a 32-value tail after the 64-lane loop
    [InlineData(40)]    // shorter than one 64-lane step
    public void Grouped_f16_flash_attention_equals_the_per_head_reference_bit_for_bit(int headDim)
    {
        int width = NHeadKv * headDim, n = Pos0 + NTok;
        var kv = new KvCache(KvType.F16, nLayer: 1, NCtx, width, width, headDim, headDim);
        var keys = TestData.Random(n * width, 5, 3f);
        var values = TestData.Random(n * width, 6);
        for (int p = 0; p < n; p++) kv.Store(0, p, keys.AsSpan(p * width, width), values.AsSpan(p * width, width));
        var q = TestData.Random(NTok * NHead * headDim, 7, 2f);
        using var pool = new WorkerPool(2);
        var output = new float[NTok * NHead * headDim];
        new CausalAttention(pool, NHead, NHeadKv, headDim, headDim, NCtx).Run(kv, 0, q, NTok, Pos0, output);
        float scale = 1f / MathF.Sqrt(headDim);
        for (int t = 0; t < NTok; t++)
            for (int h = 0; h < NHead; h++)
            {
                int g = h / (NHead / NHeadKv);
                var qh = new float[headDim];
                Float.HalfVector.RoundAll(q.AsSpan((t * NHead + h) * headDim, headDim), qh);
                var o = new float[headDim];
                float max = float.NegativeInfinity, sum = 0;
                for (int s = 0; s <= Pos0 + t; s++)
                {
                    float score = kv.DotK(0, s, g * headDim, qh) * scale, ms = 1f, vs = 1f;
                    if (score > max)
                    {
                        ms = MathF.Exp(max - score);
                        max = score;
                        Float.HalfVector.ScaleRounded(o, ms);
                    }
                    else vs = MathF.Exp(score - max);
                    kv.AccumulateVHalf(0, s, g * headDim, vs, o);
                    sum = sum * ms + vs;
                }
                for (int i = 0; i < headDim; i++)
                {
                    float expected = o[i] * (1f / sum), actual = output[(t * NHead + h) * headDim + i];
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                        $"t={t} h={h} i={i}: reference {expected:R}, grouped {actual:R}");
                }
            }
    }

    [Fact]
    public void Q8_0_cache_rejects_heads_that_are_not_whole_blocks()
    {
        Assert.Throws<ArgumentException>(() => new KvCache(KvType.Q8_0, 1, 8, 2 * 40, 2 * 40, 40, 40));
    }
}
