using System.Diagnostics;
using System.Globalization;

namespace DeepSharp.Bench;

/// <summary>Median, min and max of repeated tokens/s measurements.</summary>
internal sealed record Speed(double Median, double Min, double Max, IReadOnlyList<double> Samples)
{
    public static Speed Of(IReadOnlyList<double> samples) =>
        new(MedianOf(samples), samples.Min(), samples.Max(), samples);

    public static double MedianOf(IReadOnlyList<double> values)
    {
        double[] sorted = [.. values.Order()];
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Median,9:0.00} ({Min:0.00}–{Max:0.00})");
}

/// <summary>pp and tg speeds of one engine.</summary>
internal sealed record EngineResult(string Name, Speed Pp, Speed Tg);

/// <summary>
/// Runs the engines on the same prompt, alternating A B A B inside every repetition so that a change in machine
/// load hits both sides alike (llama.cpp's spinning threads suffer most from other processes).
/// </summary>
internal static class SideBySide
{
    // Decodes in the tg warm-up: enough calls for .NET's JIT to promote the per-token path.
    private const int TgWarmupTokens = 16;

    /// <summary>One untimed pp and a short tg, so that code is compiled, pages are mapped and buffers exist.</summary>
    public static void WarmUp(IBenchEngine engine, BenchInputs inputs)
    {
        TimePrefill(engine, inputs.Context, inputs.Prompt);
        TimeDecode(engine, inputs.Context, inputs.Generated, Math.Min(TgWarmupTokens, inputs.Generated.Length));
    }

    /// <summary><c>o.Reps</c> rounds of pp for every engine in turn, then tg for every engine in turn (engines already warm).</summary>
    public static IReadOnlyList<EngineResult> Run(IReadOnlyList<IBenchEngine> engines, BenchInputs inputs, BenchOptions o, TextWriter log)
    {
        int reps = o.Reps;
        var (context, prompt, generated) = (inputs.Context, inputs.Prompt, inputs.Generated);
        var pp = engines.Select(_ => new List<double>()).ToArray();
        var tg = engines.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < reps; r++)
        {
            for (int i = 0; i < engines.Count; i++)
            {
                pp[i].Add(prompt.Length / TimePrefill(engines[i], context, prompt));
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rep {r + 1}/{reps} {engines[i].Name,-10} {o.TestName("pp", prompt.Length)}: {pp[i][^1]:0.00} t/s"));
            }
            for (int i = 0; i < engines.Count; i++)
            {
                tg[i].Add(generated.Length / TimeDecode(engines[i], context, generated, generated.Length));
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rep {r + 1}/{reps} {engines[i].Name,-10} {o.TestName("tg", generated.Length)}: {tg[i][^1]:0.00} t/s"));
            }
        }
        return [.. engines.Select((e, i) => new EngineResult(e.Name, Speed.Of(pp[i]), Speed.Of(tg[i])))];
    }

    /// <summary>One timed pp and one timed tg of a warm engine, in tokens/s.</summary>
    public static (double Pp, double Tg) MeasureOnce(IBenchEngine engine, BenchInputs inputs) =>
        (inputs.Prompt.Length / TimePrefill(engine, inputs.Context, inputs.Prompt),
            inputs.Generated.Length / TimeDecode(engine, inputs.Context, inputs.Generated, inputs.Generated.Length));

    /// <summary>Median over repetitions of the per-repetition ratio a/b (each pair measured back to back).</summary>
    public static double PairedRatio(Speed a, Speed b) =>
        Speed.MedianOf([.. a.Samples.Zip(b.Samples, (x, y) => x / y)]);

    // The context (the depth) is evaluated before the clock starts.
    private static double TimePrefill(IBenchEngine engine, int[] context, int[] prompt)
    {
        StartAtDepth(engine, context);
        long start = Stopwatch.GetTimestamp();
        engine.Prefill(prompt, context.Length);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double TimeDecode(IBenchEngine engine, int[] context, int[] ids, int count)
    {
        StartAtDepth(engine, context);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
            engine.DecodeOne(ids[i], context.Length + i);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static void StartAtDepth(IBenchEngine engine, int[] context)
    {
        engine.Reset();
        if (context.Length > 0) engine.Prefill(context, 0);
    }
}
