using System.Globalization;
using DeepSharp.Bench;
using DeepSharp.Gguf;

// DeepSharp against llama.cpp on one GGUF file, same thread count, alternating A B A B (each run in a process of its
// own unless --same-process); then the memory-bandwidth ceiling and DeepSharp's resident memory. Every number printed
// comes from this run.
BenchOptions o;
try
{
    o = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}\n{BenchOptions.Usage}");
    return 1;
}
if (o.ChildEngine is not null) return IsolatedRuns.ChildMain(o);
if (o.StreamStudy) return StreamStudy.Run(o.Threads, o.Reps, Console.Out);
if (o.ProductsStudy)
{
    try
    {
        return ProductsStudy.Run(o.ModelPath, o.Threads, o.Reps, Console.Out);
    }
    catch (Exception e) when (e is GgufFormatException or InvalidDataException or DeepSharp.Models.ModelFormatException
        or DeepSharp.Models.MissingTensorException or DeepSharp.Models.UnsupportedArchitectureException)
    {
        Console.Error.WriteLine($"error: {o.ModelPath}: {e.Message}");
        return 1;
    }
}

var inv = CultureInfo.InvariantCulture;
string loadBefore = ProcessMemory.LoadAverage();
long fileBytes = new FileInfo(o.ModelPath).Length;
long weightBytesPerToken;
string typeName;
try
{
    using var file = GgufFile.Open(o.ModelPath);
    weightBytesPerToken = MemoryBandwidth.WeightBytesPerToken(file);
    typeName = Naming.FileType(file);
}
catch (GgufFormatException e)
{
    Console.Error.WriteLine($"error: {o.ModelPath}: {e.Message}");
    return 1;
}
Console.WriteLine(string.Create(inv,
    $"model {o.ModelPath} ({typeName}, {fileBytes / 1048576.0:0.0} MiB), threads {o.Threads}, {o.TestName("pp", o.NPrompt)} {o.TestName("tg", o.NGen)}, reps {o.Reps}, {(o.SameProcess ? "both engines in this process" : "each run in its own process")}, load average before: {loadBefore}"));

Console.WriteLine(HostInfo.Describe());

SideBySideResult run;
try
{
    run = o.SameProcess ? SameProcess(o) : IsolatedRuns.Run(o, Console.Error);
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
var (ds, lc, dsRss, dsPeak) = (run.DeepSharp, run.LlamaCpp, run.DsRssBytes, run.DsPeakRssBytes);
EngineResult[] results = [ds, lc];
string loadAfter = ProcessMemory.LoadAverage();

Console.WriteLine();
Console.WriteLine(string.Create(inv, $"{"engine",-10} {o.TestName("pp", o.NPrompt) + " t/s median (min–max)",-32} {o.TestName("tg", o.NGen) + " t/s median (min–max)"}"));
foreach (var r in results)
    Console.WriteLine(string.Create(inv, $"{r.Name,-10} {r.Pp.Format(),-32} {r.Tg.Format()}"));
double ppRatio = ds.Pp.Median / lc.Pp.Median, tgRatio = ds.Tg.Median / lc.Tg.Median;
Console.WriteLine(string.Create(inv,
    $"ratio DeepSharp/llama.cpp (of medians): pp {ppRatio:0.00}x  tg {tgRatio:0.00}x   (median of paired per-rep ratios: pp {SideBySide.PairedRatio(ds.Pp, lc.Pp):0.00}x  tg {SideBySide.PairedRatio(ds.Tg, lc.Tg):0.00}x)"));

long budget = fileBytes + run.DsKvBytes + (300L << 20);
Console.WriteLine(string.Create(inv,
    $"memory: DeepSharp RSS after load + warm-up {dsRss / 1048576.0:0} MiB (peak {dsPeak / 1048576.0:0} MiB); file {fileBytes / 1048576.0:0} MiB + KV {run.DsKvBytes / 1048576.0:0.0} MiB + 300 MiB = {budget / 1048576.0:0} MiB -> {(dsPeak <= budget ? "within" : "OVER")} budget"));

string dsBw = "n/a", lcBw = "n/a";
if (!o.SkipBandwidth)
{
    // Each repetition's decode over the ceiling its own child measured right after it (own processes); one probe at
    // the end with --same-process.
    bool perChild = run.DsBandwidths.Count > 0;
    double[] ceilings = perChild ? [.. run.DsBandwidths, .. run.LcBandwidths] : [MemoryBandwidth.MeasureReadBytesPerSecond(o.Threads)];
    double Fraction(Speed tg, IReadOnlyList<double> bw, int i) => weightBytesPerToken * tg.Samples[i] / (perChild ? bw[i] : ceilings[0]);
    double dsFraction = Speed.MedianOf([.. ds.Tg.Samples.Select((_, i) => Fraction(ds.Tg, run.DsBandwidths, i))]);
    double lcFraction = Speed.MedianOf([.. lc.Tg.Samples.Select((_, i) => Fraction(lc.Tg, run.LcBandwidths, i))]);
    dsBw = dsFraction.ToString("0.0%", inv);
    lcBw = lcFraction.ToString("0.0%", inv);
    string ceiling = ceilings.Length == 1
        ? $"{MemoryBandwidth.Gbps(ceilings[0])} GB/s"
        : $"{MemoryBandwidth.Gbps(Speed.MedianOf(ceilings))} GB/s median of {ceilings.Length} probes ({MemoryBandwidth.Gbps(ceilings.Min())}–{MemoryBandwidth.Gbps(ceilings.Max())}), each right after a tg";
    Console.WriteLine(string.Create(inv,
        $"bandwidth: read {ceiling} with {o.Threads} threads; weights read per token {weightBytesPerToken / 1e6:0.0} MB{(o.Depth > 0 ? " (the KV cache's reads at this depth not counted)" : "")}; decode at the median tg: DeepSharp {MemoryBandwidth.Gbps(weightBytesPerToken * ds.Tg.Median)} GB/s, llama.cpp {MemoryBandwidth.Gbps(weightBytesPerToken * lc.Tg.Median)} GB/s; median per-repetition fraction of the ceiling: DeepSharp {dsBw}, llama.cpp {lcBw}"));
}
Console.WriteLine($"load average after: {loadAfter}");
Console.WriteLine();
Console.WriteLine("| file | threads | test | DeepSharp t/s | llama.cpp t/s | ratio | DS decode % of BW | llama.cpp % of BW | DS peak RSS MiB | budget MiB | load avg before/after |");
Console.WriteLine(string.Create(inv,
    $"| {Path.GetFileName(o.ModelPath)} | {o.Threads} | {o.TestName("pp", o.NPrompt)} / {o.TestName("tg", o.NGen)} | {ds.Pp.Median:0.00} / {ds.Tg.Median:0.00} | {lc.Pp.Median:0.00} / {lc.Tg.Median:0.00} | {ppRatio:0.00}x / {tgRatio:0.00}x | {dsBw} | {lcBw} | {dsPeak / 1048576.0:0} | {budget / 1048576.0:0} | {loadBefore} / {loadAfter} |"));
return 0;

// Both engines loaded in this process at once, warmed up, then alternated within every repetition (the harness of
// sessions 1–9); DeepSharp's memory is read before llama.cpp maps the file.
static SideBySideResult SameProcess(BenchOptions o)
{
    var inputs = BenchInputs.For(o);
    int nCtx = o.ContextSize;
    using var deepSharp = new DeepSharpEngine(o.ModelPath, o.Threads, nCtx);
    SideBySide.WarmUp(deepSharp, inputs);
    long rss = ProcessMemory.CurrentRssBytes();
    long peak = ProcessMemory.PeakRssBytes() ?? rss;
    using var llama = new LlamaCppEngine(o.ModelPath, o.Threads, nCtx, o.NPrompt);
    SideBySide.WarmUp(llama, inputs);
    var results = SideBySide.Run([deepSharp, llama], inputs, o, Console.Error);
    return new SideBySideResult(results[0], results[1], rss, peak, deepSharp.KvCacheBytes);
}
