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
    public void Grouped_f16_flash_attention_equals_the_per_head_reference_bit_for_bit(int headDim) =>
        AssertGroupedEqualsReference(headDim, NHead, NHeadKv, NCtx, Pos0, NTok, 1f);

    // Head sizes that are multiples of 64 take 16 positions at a time (FlashDecodeF16): scores with one head per lane,
    // each head's softmax steps, each head's accumulator in registers. Long enough for whole and partial blocks, groups
    // of 7 (the 0.5B), 6 (the 1.5B, 128-wide heads) and 9 (two 8-head lane sets), and values so small or so large that
    // accumulators leave the normal f16 range (the general rounding, in memory, for those blocks).
    [Theory]
    [InlineData(64, 14, 2, 50, 1f)]
    [InlineData(128, 12, 2, 33, 1f)]
    [InlineData(64, 18, 2, 40, 1f)]
    [InlineData(64, 4, 1, 37, 1e-4f)]     // f16 subnormals in the accumulators
    [InlineData(64, 4, 1, 21, 3e4f)]      // sums past 65504: infinities
    [InlineData(128, 8, 8, 17, 1f)]       // one head per group: 7 empty lanes
    public void Blocked_f16_decode_attention_equals_the_per_head_reference_bit_for_bit(int headDim, int nHead, int nHeadKv, int positions,
        float valueScale) =>
        AssertGroupedEqualsReference(headDim, nHead, nHeadKv, positions + 2, positions - 1, 1, valueScale);

    private static void AssertGroupedEqualsReference(int headDim, int nHead, int nHeadKv, int nCtx, int pos0, int nTok, float valueScale)
    {
        int width = nHeadKv * headDim, n = pos0 + nTok;
        var kv = new KvCache(KvType.F16, nLayer: 1, nCtx, width, width, headDim, headDim);
        var keys = TestData.Random(n * width, 5, 3f);
        var values = TestData.Random(n * width, 6, valueScale);
        for (int p = 0; p < n; p++) kv.Store(0, p, keys.AsSpan(p * width, width), values.AsSpan(p * width, width));
        var q = TestData.Random(nTok * nHead * headDim, 7, 2f);
        using var pool = new WorkerPool(2);
        var output = new float[nTok * nHead * headDim];
        new CausalAttention(pool, nHead, nHeadKv, headDim, headDim, nCtx).Run(kv, 0, q, nTok, pos0, output);
        float scale = 1f / MathF.Sqrt(headDim);
        for (int t = 0; t < nTok; t++)
            for (int h = 0; h < nHead; h++)
            {
                int g = h / (nHead / nHeadKv);
                var qh = new float[headDim];
                Float.HalfVector.RoundAll(q.AsSpan((t * nHead + h) * headDim, headDim), qh);
                var o = new float[headDim];
                float max = float.NegativeInfinity, sum = 0;
                for (int s = 0; s <= pos0 + t; s++)
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
                    float expected = o[i] * (1f / sum), actual = output[(t * nHead + h) * headDim + i];
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                        $"t={t} h={h} i={i}: reference {expected:R}, grouped {actual:R}");
                }
            }
    }

    // From 64 query rows an F16 cache takes the tiled f32 path (llama.cpp's tiled flash attention): tiles of 32 tokens
    // × a KV group's heads over tiles of 64 keys. Each row must equal the one-row reference bit for bit, across
    // query-tile and key-tile edges, a partial last tile, an odd group and a 40-wide head (a 32 + 8 lane split).
    [Theory]
    [InlineData(128, 6, 2, 70, 5)]
    [InlineData(64, 7, 1, 64, 0)]
    [InlineData(40, 3, 3, 100, 37)]
    public void Tiled_f16_attention_equals_its_reference_bit_for_bit(int headDim, int nHead, int nHeadKv, int nTok, int pos0)
    {
        var (kv, q, output) = TiledRun(headDim, nHead, nHeadKv, nTok, pos0, seed: 11);
        var expected = new float[headDim];
        for (int t = 0; t < nTok; t++)
            for (int h = 0; h < nHead; h++)
            {
                int g = h / (nHead / nHeadKv), at = (t * nHead + h) * headDim;
                TiledAttentionReference.Row(kv, 1, g, headDim, headDim, 1f / MathF.Sqrt(headDim), q.AsSpan(at, headDim), pos0 + t, expected);
                for (int i = 0; i < headDim; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(output[at + i]),
                        $"t={t} h={h} i={i}: reference {expected[i]:R}, tiled {output[at + i]:R}");
            }
    }

    [Fact]
    public void Tiled_f16_attention_matches_naive_double_precision()
    {
        const int headDim = 64, nHead = 4, nHeadKv = 2, nTok = 80, pos0 = 50;
        var (kv, q, output) = TiledRun(headDim, nHead, nHeadKv, nTok, pos0, seed: 21);
        var k = new float[headDim];
        var v = new float[headDim];
        for (int t = 0; t < nTok; t += 7)
            for (int h = 0; h < nHead; h++)
            {
                int g = h / (nHead / nHeadKv), visible = pos0 + t + 1;
                var scores = new double[visible];
                for (int s = 0; s < visible; s++)
                {
                    kv.ReadK(1, s, g * headDim, k);   // the cached (f16) key: the tiled path keeps queries in f32
                    double dot = 0;
                    for (int i = 0; i < headDim; i++) dot += q[(t * nHead + h) * headDim + i] * (double)k[i];
                    scores[s] = dot / Math.Sqrt(headDim);
                }
                double max = scores.Max(), sum = scores.Sum(x => Math.Exp(x - max));
                var expected = new double[headDim];
                for (int s = 0; s < visible; s++)
                {
                    kv.ReadV(1, s, g * headDim, v);
                    for (int i = 0; i < headDim; i++) expected[i] += Math.Exp(scores[s] - max) / sum * v[i];
                }
                for (int i = 0; i < headDim; i++) Assert.Equal(expected[i], output[(t * nHead + h) * headDim + i], 2e-5);
            }
    }

    // MLA: one latent row [latent ; rope key] is every head's key, its latent part every head's value; from 64 query
    // rows the tiled path runs a tile's tokens × all heads against each widened row, bit for bit the reference.
    [Fact]
    public void Tiled_latent_attention_equals_its_reference_bit_for_bit()
    {
        const int nHead = 4, rank = 64, rope = 16, nTok = 70, pos0 = 10, width = rank + rope;
        const float scale = 0.09f;
        int n = pos0 + nTok;
        var kv = new LatentKvCache(KvType.F16, nLayer: 2, n, rank, rope);
        var latents = TestData.Random(n * rank, 31, 2f);
        var ropeKeys = TestData.Random(n * rope, 32, 2f);
        for (int p = 0; p < n; p++) kv.Store(1, p, latents.AsSpan(p * rank, rank), ropeKeys.AsSpan(p * rope, rope));
        var q = TestData.Random(nTok * nHead * width, 33, 2f);
        using var pool = new WorkerPool(2);
        var output = new float[nTok * nHead * rank];
        new LatentAttention(pool, nHead, width, rank, n).Run(kv, 1, q, nTok, pos0, scale, output);
        var expected = new float[rank];
        for (int t = 0; t < nTok; t++)
            for (int h = 0; h < nHead; h++)
            {
                TiledAttentionReference.Row(kv, 1, 0, width, rank, scale, q.AsSpan((t * nHead + h) * width, width), pos0 + t, expected);
                for (int i = 0; i < rank; i++)
                {
                    float actual = output[(t * nHead + h) * rank + i];
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual),
                        $"t={t} h={h} i={i}: reference {expected[i]:R}, tiled {actual:R}");
                }
            }
    }

    // Below the tiled path's 64 rows an F16 latent cache takes the one-row numerics, 8 heads (or a smaller divisor of
    // nHead) at a time through the blocked decode path where the row widths are multiples of 64, else head by head.
    // Each row must equal the per-head reference bit for bit: DeepSeek-V2-Lite's shape, groups of 6 and 4, partial
    // blocks, accumulators leaving the normal f16 range, and a width (80) the blocked path does not take.
    [Theory]
    [InlineData(16, 512, 64, 37, 1, 1f)]
    [InlineData(16, 512, 64, 20, 3, 1f)]
    [InlineData(12, 64, 64, 33, 1, 1f)]
    [InlineData(4, 64, 64, 21, 2, 1e-4f)]
    [InlineData(4, 64, 64, 18, 1, 3e4f)]
    [InlineData(4, 64, 16, 40, 2, 1f)]
    public void One_row_latent_attention_equals_the_per_head_reference_bit_for_bit(int nHead, int rank, int rope, int pos0, int nTok,
        float valueScale)
    {
        int width = rank + rope, n = pos0 + nTok;
        const float scale = 0.07f;
        var kv = new LatentKvCache(KvType.F16, nLayer: 2, n + 5, rank, rope);
        var latents = TestData.Random(n * rank, 41, valueScale);
        var ropeKeys = TestData.Random(n * rope, 42, 2f);
        for (int p = 0; p < n; p++) kv.Store(1, p, latents.AsSpan(p * rank, rank), ropeKeys.AsSpan(p * rope, rope));
        var q = TestData.Random(nTok * nHead * width, 43, 2f);
        using var pool = new WorkerPool(2);
        var output = new float[nTok * nHead * rank];
        new LatentAttention(pool, nHead, width, rank, n + 5).Run(kv, 1, q, nTok, pos0, scale, output);
        var (k, v) = (new float[width], new float[rank]);
        for (int t = 0; t < nTok; t++)
            for (int h = 0; h < nHead; h++)
            {
                var qh = new float[width];
                Float.HalfVector.RoundAll(q.AsSpan((t * nHead + h) * width, width), qh);
                var o = new float[rank];
                float max = float.NegativeInfinity, sum = 0;
                for (int s = 0; s <= pos0 + t; s++)
                {
                    kv.ReadK(1, s, 0, k);
                    float score = HalfDot.LikeGgml(k, qh) * scale, ms = 1f, vs = 1f;
                    if (score > max)
                    {
                        ms = MathF.Exp(max - score);
                        max = score;
                        Float.HalfVector.ScaleRounded(o, ms);
                    }
                    else vs = MathF.Exp(score - max);
                    kv.ReadV(1, s, 0, v);
                    Float.HalfVector.FusedAxpyRounded(v, vs, o);
                    sum = sum * ms + vs;
                }
                for (int i = 0; i < rank; i++)
                {
                    float expected = o[i] * (1f / sum), actual = output[(t * nHead + h) * rank + i];
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                        $"t={t} h={h} i={i}: reference {expected:R}, latent {actual:R}");
                }
            }
    }

    // Attention of nTok random queries at pos0.. over layer 1 of an F16 cache filled with random keys and values.
    private static (KvCache Kv, float[] Q, float[] Output) TiledRun(int headDim, int nHead, int nHeadKv, int nTok, int pos0, int seed)
    {
        int width = nHeadKv * headDim, n = pos0 + nTok, nCtx = n + 3;
        var kv = new KvCache(KvType.F16, nLayer: 2, nCtx, width, width, headDim, headDim);
        var keys = TestData.Random(n * width, seed, 3f);
        var values = TestData.Random(n * width, seed + 1);
        for (int p = 0; p < n; p++) kv.Store(1, p, keys.AsSpan(p * width, width), values.AsSpan(p * width, width));
        var q = TestData.Random(nTok * nHead * headDim, seed + 2, 2f);
        using var pool = new WorkerPool(2);
        var output = new float[nTok * nHead * headDim];
        new CausalAttention(pool, nHead, nHeadKv, headDim, headDim, nCtx).Run(kv, 1, q, nTok, pos0, output);
        return (kv, q, output);
    }

    [Fact]
    public void Q8_0_cache_rejects_heads_that_are_not_whole_blocks()
    {
        Assert.Throws<ArgumentException>(() => new KvCache(KvType.Q8_0, 1, 8, 2 * 40, 2 * 40, 40, 40));
    }

    // A batched decode step's rows, each its own sequence at its own position, in one run: every row must equal that
    // sequence's one-token Run bit for bit (the same flash steps), and a cache of another type is left to Run.
    [Fact]
    public void Decode_rows_of_several_sequences_in_one_run_equal_each_run_alone_bit_for_bit()
    {
        int[] positions = [0, 5, 2, 11];
        int width = NHeadKv * HeadDim, rows = positions.Length, qWidth = NHead * HeadDim;
        var caches = new KvCache[rows];
        for (int i = 0; i < rows; i++)
        {
            caches[i] = new KvCache(KvType.F16, nLayer: 2, NCtx, width, width, HeadDim, HeadDim);
            var keys = TestData.Random((positions[i] + 1) * width, 10 + i, 2f);
            var values = TestData.Random((positions[i] + 1) * width, 20 + i);
            for (int p = 0; p <= positions[i]; p++) caches[i].Store(1, p, keys.AsSpan(p * width, width), values.AsSpan(p * width, width));
        }
        var q = TestData.Random(rows * qWidth, 30, 2f);
        using var pool = new WorkerPool(2);
        var attn = new CausalAttention(pool, NHead, NHeadKv, HeadDim, HeadDim, NCtx);
        var batched = new float[rows * qWidth];
        Assert.True(attn.TryRunDecode(caches, positions, rows, 1, q, batched));
        for (int i = 0; i < rows; i++)
        {
            var alone = new float[qWidth];
            attn.Run(caches[i], 1, q.AsSpan(i * qWidth, qWidth).ToArray(), 1, positions[i], alone);
            for (int j = 0; j < qWidth; j++)
                Assert.True(BitConverter.SingleToInt32Bits(alone[j]) == BitConverter.SingleToInt32Bits(batched[i * qWidth + j]),
                    $"row {i} value {j}: batched {batched[i * qWidth + j]:R}, alone {alone[j]:R}");
        }
        caches[2] = new KvCache(KvType.F32, nLayer: 2, NCtx, width, width, HeadDim, HeadDim);
        Assert.False(attn.TryRunDecode(caches, positions, rows, 1, q, new float[rows * qWidth]));
    }
}
