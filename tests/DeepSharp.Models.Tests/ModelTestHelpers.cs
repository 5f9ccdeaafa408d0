using DeepSharp.Models;
using DeepSharp.Oracle;

namespace DeepSharp.Models.Tests;

internal static class ModelTestHelpers
{
    public const int Threads = 2;

    public static Model Load(string path, int ctx = 256, DeepSharp.Kernels.Attention.KvType kv = DeepSharp.Kernels.Attention.KvType.F16, int batch = 32) =>
        Model.Load(path, new LoadOptions { Threads = Threads, ContextSize = ctx, KvType = kv, BatchSize = batch });

    /// <summary>First index of the maximum, as llama.cpp's greedy sampler picks it.</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++)
            if (x[i] > x[best]) best = i;
        return best;
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ab += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        return ab / Math.Sqrt(aa * bb);
    }

    /// <summary>Greedy continuation: the prompt as one prefill, then one token at a time (stops at <paramref name="eos"/>).</summary>
    public static int[] Greedy(Session session, int[] prompt, int n, int? eos)
    {
        var output = new List<int>();
        var logits = session.Prefill(prompt);
        while (output.Count < n)
        {
            int next = ArgMax(logits);
            if (next == eos) break;
            output.Add(next);
            if (output.Count == n) break;
            logits = session.Decode(next);
        }
        return [.. output];
    }

    public static int? EosOf(Model model) =>
        model.File.Metadata.ContainsKey("tokenizer.ggml.eos_token_id") ? model.File.Metadata.GetInt32("tokenizer.ggml.eos_token_id") : null;

    /// <summary>
    /// The file's last-token logits for <paramref name="prompt"/> are within <paramref name="cosineFloor"/> of llama.cpp's
    /// with the same argmax, and the 32-token greedy continuation is llama.cpp's (up to where llama.cpp stops at an
    /// end-of-generation token: it knows more of them than the file's eos id).
    /// </summary>
    public static void AssertMatchesLlamaCpp(string path, int[] prompt, double cosineFloor, string label)
    {
        using var oracle = LlamaOracle.Load(path, ctx: 64);
        float[] expected = oracle.LastLogits(prompt);
        int[] expectedTokens = oracle.Greedy(prompt, 32);

        using var model = Load(path, ctx: 64);
        using var session = model.CreateSession();
        var logits = session.Prefill(prompt);
        double cosine = Cosine(expected, logits);
        Assert.True(cosine >= cosineFloor, $"{label}: cosine {cosine} < {cosineFloor}");
        Assert.Equal(ArgMax(expected), ArgMax(logits));

        session.Reset();
        int[] actual = Greedy(session, prompt, 32, EosOf(model));
        Assert.Equal(expectedTokens, actual.Take(expectedTokens.Length));
    }

    /// <summary>
    /// The oracle comparisons would catch a broken layer: with <paramref name="layer"/> skipped, our logits fall far
    /// below the cosine floor against llama.cpp's full model.
    /// </summary>
    public static void AssertLayerMatters(string path, int[] prompt, int layer)
    {
        using var oracle = LlamaOracle.Load(path, ctx: 64);
        float[] expected = oracle.LastLogits(prompt);
        using var model = Load(path, ctx: 64);
        model.Network.SkipLayer = layer;
        using var session = model.CreateSession();
        double cosine = Cosine(expected, session.Prefill(prompt));
        Assert.True(cosine < 0.99, $"without layer {layer} cosine is still {cosine}");
    }
}
