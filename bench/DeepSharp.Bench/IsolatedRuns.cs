using System.Diagnostics;
using System.Globalization;
using DeepSharp.Gguf;

namespace DeepSharp.Bench;

/// <summary>
/// The random tokens both engines evaluate, the same ids in every process: the context already in the cache (the
/// depth, evaluated untimed), the prompt (pp) and the generated tokens (tg).
/// </summary>
internal sealed record BenchInputs(int[] Context, int[] Prompt, int[] Generated)
{
    public static BenchInputs For(BenchOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        int nVocab;
        using (var file = GgufFile.Open(o.ModelPath))
            nVocab = checked((int)(file.FindTensor("token_embd.weight")?.Dims[1]
                ?? throw new InvalidDataException($"{o.ModelPath} has no token_embd.weight")));
        var rng = new Random(1234);
        // Drawn in this order so that the prompt and generated ids of a run without depth stay those of earlier runs.
        int[] prompt = [.. Enumerable.Range(0, o.NPrompt).Select(_ => rng.Next(nVocab))];
        int[] generated = [.. Enumerable.Range(0, o.NGen).Select(_ => rng.Next(nVocab))];
        int[] context = [.. Enumerable.Range(0, o.Depth).Select(_ => rng.Next(nVocab))];
        return new BenchInputs(context, prompt, generated);
    }
}

/// <summary>
/// What one engine measured, and DeepSharp's memory, as <see cref="IsolatedRuns"/> collects it; with the read bandwidth
/// each child measured right after its tg (bytes/s, in the order of the engine's tg samples; empty where the bandwidth
/// was not measured per child).
/// </summary>
internal sealed record SideBySideResult(EngineResult DeepSharp, EngineResult LlamaCpp, long DsRssBytes, long DsPeakRssBytes, long DsKvBytes)
{
    public IReadOnlyList<double> DsBandwidths { get; init; } = [];
    public IReadOnlyList<double> LcBandwidths { get; init; } = [];
}

/// <summary>
/// Each repetition of each engine in a process of its own, alternating A B A B: the child loads its engine, warms it
/// up (one pp and a short tg, untimed), times one pp and one tg, prints them and exits, so that at no time do both
/// engines — two mappings of the same file and two copies of its repacked weights — live in one process or at once.
/// Why: with llama.cpp loaded beside it, DeepSharp's 1.5B Q4_0 decode at 1 thread fell from 21–23 to 13–17 t/s
/// (session 8's probes: mapping and reading the file a second time was enough), an effect no user running one
/// engine sees, which made that ratio swing between 0.75x and 1.2x from run to run.
/// </summary>
internal static class IsolatedRuns
{
    public const string DeepSharp = "deepsharp", LlamaCpp = "llama.cpp";
    private const string ResultTag = "bench-result";

    public static SideBySideResult Run(BenchOptions o, TextWriter log)
    {
        var runs = new Dictionary<string, List<ChildResult>> { [DeepSharp] = [], [LlamaCpp] = [] };
        for (int r = 0; r < o.Reps; r++)
            foreach (string engine in new[] { DeepSharp, LlamaCpp })
            {
                var result = RunChild(o, engine);
                runs[engine].Add(result);
                string bw = double.IsNaN(result.Bandwidth) ? "" : $", then read {MemoryBandwidth.Gbps(result.Bandwidth)} GB/s";
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rep {r + 1}/{o.Reps} {engine,-10} {o.TestName("pp", o.NPrompt)}: {result.Pp:0.00} t/s  {o.TestName("tg", o.NGen)}: {result.Tg:0.00} t/s  (own process{bw})"));
            }
        var ds = runs[DeepSharp];
        return new SideBySideResult(Summary(DeepSharp, ds), Summary(LlamaCpp, runs[LlamaCpp]),
            ds.Max(c => c.Rss), ds.Max(c => c.PeakRss), ds[0].KvBytes)
        {
            DsBandwidths = o.SkipBandwidth ? [] : [.. ds.Select(c => c.Bandwidth)],
            LcBandwidths = o.SkipBandwidth ? [] : [.. runs[LlamaCpp].Select(c => c.Bandwidth)],
        };
    }

    private static EngineResult Summary(string name, List<ChildResult> runs) =>
        new(name, Speed.Of([.. runs.Select(c => c.Pp)]), Speed.Of([.. runs.Select(c => c.Tg)]));

    /// <summary>
    /// The child's side (<c>--engine NAME</c>): load, warm up, one timed pp and tg, then (the engine closed, unless
    /// --skip-bandwidth) the memory read bandwidth with the same thread count; one result line on stdout.
    /// </summary>
    /// <remarks>
    /// Why the bandwidth here: the host's speed drifts by a quarter within minutes, and one probe at the end of a run
    /// put the run's decode speeds over a ceiling measured at another time. Measured within a second of each tg, each
    /// repetition's fraction of the ceiling compares speeds of the same moment.
    /// </remarks>
    public static int ChildMain(BenchOptions o)
    {
        var inputs = BenchInputs.For(o);
        int nCtx = o.ContextSize;
        long kvBytes = 0, rss, peak;
        double pp, tg;
        using (IBenchEngine engine = o.ChildEngine == DeepSharp
            ? new DeepSharpEngine(o.ModelPath, o.Threads, nCtx)
            : new LlamaCppEngine(o.ModelPath, o.Threads, nCtx, o.NPrompt))
        {
            if (engine is DeepSharpEngine ds) kvBytes = ds.KvCacheBytes;
            SideBySide.WarmUp(engine, inputs);
            rss = ProcessMemory.CurrentRssBytes();
            (pp, tg) = SideBySide.MeasureOnce(engine, inputs);
            peak = ProcessMemory.PeakRssBytes() ?? rss;
        }
        double bandwidth = o.SkipBandwidth ? double.NaN : MemoryBandwidth.MeasureReadBytesPerSecond(o.Threads);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ResultTag} {pp:R} {tg:R} {rss} {peak} {kvBytes} {bandwidth:R}"));
        return 0;
    }

    private sealed record ChildResult(double Pp, double Tg, long Rss, long PeakRss, long KvBytes, double Bandwidth);

    private static ChildResult RunChild(BenchOptions o, string engine)
    {
        var start = ChildStart();
        foreach (string a in new[] { "--model", o.ModelPath, "--threads", Text(o.Threads), "-p", Text(o.NPrompt), "-n", Text(o.NGen), "-d", Text(o.Depth), "--engine", engine })
            start.ArgumentList.Add(a);
        if (o.SkipBandwidth) start.ArgumentList.Add("--skip-bandwidth");
        start.RedirectStandardOutput = true;
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the benchmark child process");
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith(ResultTag + " ", StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"the {engine} child process failed (exit code {child.ExitCode}):\n{output}");
        string[] f = line.Split(' ');
        var inv = CultureInfo.InvariantCulture;
        return new ChildResult(double.Parse(f[1], inv), double.Parse(f[2], inv), long.Parse(f[3], inv), long.Parse(f[4], inv), long.Parse(f[5], inv),
            double.Parse(f[6], inv));
    }

    // This program again: through its apphost, or through the dotnet host that runs its dll.
    private static ProcessStartInfo ChildStart()
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path to start the child from");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(typeof(IsolatedRuns).Assembly.Location);
        return start;
    }

    private static string Text(int v) => v.ToString(CultureInfo.InvariantCulture);
}
