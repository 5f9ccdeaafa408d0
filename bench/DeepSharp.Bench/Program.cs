using System.Globalization;
using DeepSharp.Bench;
using DeepSharp.Gguf;

// DeepSharp against llama.cpp on one GGUF file, same thread count, alternating A B A B; then the memory-bandwidth
// ceiling and DeepSharp's resident memory. Every number printed comes from this run.
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

var inv = CultureInfo.InvariantCulture;
string loadBefore = ProcessMemory.LoadAverage();
long fileBytes = new FileInfo(o.ModelPath).Length;
long weightBytesPerToken;
string typeName;
using (var file = GgufFile.Open(o.ModelPath))
{
    weightBytesPerToken = MemoryBandwidth.WeightBytesPerToken(file);
    typeName = Naming.FileType(file);
}
Console.WriteLine(string.Create(inv,
    $"model {o.ModelPath} ({typeName}, {fileBytes / 1048576.0:0.0} MiB), threads {o.Threads}, pp{o.NPrompt} tg{o.NGen}, reps {o.Reps}, load average before: {loadBefore}"));

var rng = new Random(1234);
int nCtx = Math.Max(o.NPrompt, o.NGen);

using var deepSharp = new DeepSharpEngine(o.ModelPath, o.Threads, nCtx);
int nVocab = deepSharp.VocabSize;
int[] prompt = [.. Enumerable.Range(0, o.NPrompt).Select(_ => rng.Next(nVocab))];
int[] generated = [.. Enumerable.Range(0, o.NGen).Select(_ => rng.Next(nVocab))];
SideBySide.WarmUp(deepSharp, prompt, generated);
// Measured before llama.cpp maps the same file into this process.
long dsRss = ProcessMemory.CurrentRssBytes();
long dsPeak = ProcessMemory.PeakRssBytes() ?? dsRss;

using var llama = new LlamaCppEngine(o.ModelPath, o.Threads, nCtx, o.NPrompt);
SideBySide.WarmUp(llama, prompt, generated);
var results = SideBySide.Run([deepSharp, llama], prompt, generated, o.Reps, Console.Error);
string loadAfter = ProcessMemory.LoadAverage();
var ds = results[0];
var lc = results[1];

Console.WriteLine();
Console.WriteLine(string.Create(inv, $"{"engine",-10} {"pp" + o.NPrompt + " t/s median (min–max)",-32} {"tg" + o.NGen + " t/s median (min–max)"}"));
foreach (var r in results)
    Console.WriteLine(string.Create(inv, $"{r.Name,-10} {r.Pp.Format(),-32} {r.Tg.Format()}"));
double ppRatio = ds.Pp.Median / lc.Pp.Median, tgRatio = ds.Tg.Median / lc.Tg.Median;
Console.WriteLine(string.Create(inv,
    $"ratio DeepSharp/llama.cpp (of medians): pp {ppRatio:0.00}x  tg {tgRatio:0.00}x   (median of paired per-rep ratios: pp {SideBySide.PairedRatio(ds.Pp, lc.Pp):0.00}x  tg {SideBySide.PairedRatio(ds.Tg, lc.Tg):0.00}x)"));

long budget = fileBytes + deepSharp.KvCacheBytes + (300L << 20);
Console.WriteLine(string.Create(inv,
    $"memory: DeepSharp RSS after load + warm-up {dsRss / 1048576.0:0} MiB (peak {dsPeak / 1048576.0:0} MiB); file {fileBytes / 1048576.0:0} MiB + KV {deepSharp.KvCacheBytes / 1048576.0:0.0} MiB + 300 MiB = {budget / 1048576.0:0} MiB -> {(dsPeak <= budget ? "within" : "OVER")} budget"));

string dsBw = "n/a", lcBw = "n/a";
if (!o.SkipBandwidth)
{
    double bandwidth = MemoryBandwidth.MeasureReadBytesPerSecond(o.Threads);
    double dsFraction = weightBytesPerToken * ds.Tg.Median / bandwidth, lcFraction = weightBytesPerToken * lc.Tg.Median / bandwidth;
    dsBw = dsFraction.ToString("0.0%", inv);
    lcBw = lcFraction.ToString("0.0%", inv);
    Console.WriteLine(string.Create(inv,
        $"bandwidth: read {MemoryBandwidth.Gbps(bandwidth)} GB/s with {o.Threads} threads; weights read per token {weightBytesPerToken / 1e6:0.0} MB; decode at the median tg: DeepSharp {MemoryBandwidth.Gbps(weightBytesPerToken * ds.Tg.Median)} GB/s = {dsBw} of the ceiling, llama.cpp {MemoryBandwidth.Gbps(weightBytesPerToken * lc.Tg.Median)} GB/s = {lcBw}"));
}
Console.WriteLine($"load average after: {loadAfter}");
Console.WriteLine();
Console.WriteLine("| file | threads | test | DeepSharp t/s | llama.cpp t/s | ratio | DS decode % of BW | llama.cpp % of BW | DS peak RSS MiB | budget MiB | load avg before/after |");
Console.WriteLine(string.Create(inv,
    $"| {Path.GetFileName(o.ModelPath)} | {o.Threads} | pp{o.NPrompt} / tg{o.NGen} | {ds.Pp.Median:0.00} / {ds.Tg.Median:0.00} | {lc.Pp.Median:0.00} / {lc.Tg.Median:0.00} | {ppRatio:0.00}x / {tgRatio:0.00}x | {dsBw} | {lcBw} | {dsPeak / 1048576.0:0} | {budget / 1048576.0:0} | {loadBefore} / {loadAfter} |"));
return 0;
