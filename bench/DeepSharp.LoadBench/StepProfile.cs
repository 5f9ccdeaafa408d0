using System.Diagnostics;
using System.Globalization;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;
using DeepSharp.Models;
using DeepSharp.Models.Architectures;

namespace DeepSharp.LoadBench;

/// <summary>
/// <c>--step-profile</c>: what the server's batched decode step costs, without HTTP. The model's
/// <see cref="BatchDecoder"/> steps 1 session and K sessions (ms per step, and the aggregate speed-up that implies),
/// then every distinct (role, weight type) of the layers' matrices and the output projection is multiplied by 1 and by
/// K tokens: the matrices whose K-token product costs close to K single ones are what limits continuous batching.
/// </summary>
internal static class StepProfile
{
    private const int Prompt = 8, WarmUpSteps = 8;

    public static void Run(LoadOptionsCli o)
    {
        var inv = CultureInfo.InvariantCulture;
        using var model = Model.Load(o.ModelPath, new LoadOptions { Threads = o.Threads, ContextSize = o.Context });
        int k = o.Streams, reps = Math.Max(2, Math.Min(o.Tokens, o.Context - Prompt - WarmUpSteps - 4) / 2);
        double one = StepMs(model, 1, reps), many = StepMs(model, k, reps);
        Console.WriteLine(string.Create(inv,
            $"decode step: 1 session {one:0.0} ms, {k} sessions {many:0.0} ms -> {k} streams at {k * one / many:0.00}x the tokens/s of one (median of {reps} steps)"));
        using var pool = new WorkerPool(o.Threads);
        foreach (var (role, w) in Matrices(model.Network))
        {
            var mm = new MatMul(pool, (int)w.Cols, k);
            double m1 = MatMulMs(mm, w, 1), mk = MatMulMs(mm, w, k);
            Console.WriteLine(string.Create(inv,
                $"{role,-7} {w.Type,-5} [{w.Rows} x {w.Cols}]: 1 token {m1:0.000} ms, {k} tokens {mk:0.000} ms ({mk / m1:0.00}x)"));
        }
    }

    // Median ms of a BatchDecoder step over k sessions that each hold a short prompt.
    private static double StepMs(Model model, int k, int reps)
    {
        var sessions = Enumerable.Range(0, k).Select(_ => model.CreateSession()).ToArray();
        foreach (var s in sessions) s.Prefill(Enumerable.Range(1, Prompt).ToArray());
        var decoder = new BatchDecoder(model, k);
        int[] tokens = Enumerable.Repeat(9, k).ToArray();
        // Warm-up: the first steps run tier-0 and instrumented code until the JIT's optimised versions arrive (one
        // warm-up step left the first figure, one session, ~30% high).
        for (int w = 0; w < WarmUpSteps; w++) decoder.DecodeStep(sessions, tokens);
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            var clock = Stopwatch.StartNew();
            decoder.DecodeStep(sessions, tokens);
            times[r] = clock.Elapsed.TotalMilliseconds;
        }
        foreach (var s in sessions) s.Dispose();
        return Median(times);
    }

    private static double MatMulMs(MatMul mm, QTensor w, int nTok)
    {
        var random = new Random(1);
        var x = new float[nTok * w.Cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() - 0.5);
        var y = new float[nTok * w.Rows];
        mm.Run(w, x, nTok, y);
        var times = new double[5];
        for (int r = 0; r < times.Length; r++)
        {
            var clock = Stopwatch.StartNew();
            mm.Run(w, x, nTok, y);
            times[r] = clock.Elapsed.TotalMilliseconds;
        }
        return Median(times);
    }

    // The first matrix of each (role, type) in the llama-like layers, then the output projection.
    private static IEnumerable<(string Role, QTensor W)> Matrices(DecoderModel net)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var l in net.Layers)
            foreach (var (role, w) in new[] { ("q", l.Attn.Wq), ("k", l.Attn.Wk), ("v", l.Attn.Wv), ("o", l.Attn.Wo), ("gate", l.Ffn.Gate), ("up", l.Ffn.Up), ("down", l.Ffn.Down) })
                if (seen.Add($"{role} {w.Type}")) yield return (role, w);
        yield return ("output", net.Output);
    }

    private static double Median(double[] values)
    {
        double[] v = [.. values.Order()];
        return v[v.Length / 2];
    }
}
