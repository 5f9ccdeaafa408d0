using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSharp.Core.Quant;
using DeepSharp.Gguf;
using DeepSharp.Models;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp bench --model FILE [--threads N] [-p 512] [-n 128] [-d 0] [--reps 3] [--json]</c>, in the manner of
/// llama-bench: pp = one Prefill of p random token ids, tg = n one-token Decodes, each into a cache holding d
/// positions (llama-bench's depth: d random ids evaluated untimed after each reset; 0 = an empty cache); each
/// measured <c>reps</c> times after one warm-up, reported as the median with min–max and standard deviation in
/// tokens/s, plus peak resident memory.
/// </summary>
internal static class BenchCommand
{
    // Decodes in the tg warm-up: enough calls for the JIT to promote the per-token path, far fewer than a full run.
    private const int TgWarmupTokens = 16;
    private const int IdSeed = 1234;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = CliArgs.Parse("bench", args, ["model", "threads", "p", "n", "d", "reps", "batch", "kv-type"], ["json"]);
        string path = a.RequireExistingFile("model");
        int threads = a.GetInt("threads", Environment.ProcessorCount, 1, 1024);
        int nPrompt = a.GetInt("p", 512, 0, 1 << 20);
        int nGen = a.GetInt("n", 128, 0, 1 << 20);
        int depth = a.GetInt("d", 0, 0, 1 << 20);
        int reps = a.GetInt("reps", 3, 1, 1000);
        if (nPrompt == 0 && nGen == 0) throw new CliException("bench: -p and -n are both 0; nothing to measure");
        var load = ModelArgs.Load(a) with { ContextSize = depth + Math.Max(nPrompt, nGen) };
        if (a.Has("batch")) load = load with { BatchSize = a.GetInt("batch", 512, 1, 1 << 20) };

        using var model = Model.Load(path, load);
        long rssAfterLoad = ProcessMemory.CurrentRssBytes();
        using var session = model.CreateSession();
        var rng = new Random(IdSeed);
        int[] prompt = RandomIds(rng, nPrompt, model.VocabSize);
        int[] generated = RandomIds(rng, nGen, model.VocabSize);
        int[] context = RandomIds(rng, depth, model.VocabSize);   // drawn last: the other ids stay those of depth 0
        var names = new TestNames(depth);
        void AtDepth()
        {
            session.Reset();
            if (depth > 0) session.Prefill(context);
        }

        var pp = nPrompt > 0 ? Measure(reps, AtDepth, () => session.Prefill(prompt), nPrompt, names.Of("pp", nPrompt), stderr) : null;
        var tg = nGen > 0 ? Measure(reps, AtDepth, () => DecodeEach(session, generated, generated.Length), nGen, names.Of("tg", nGen), stderr,
            warmup: () => DecodeEach(session, generated, Math.Min(TgWarmupTokens, nGen))) : null;

        var report = new BenchReport(path, model, threads, nPrompt, nGen, depth, reps, pp, tg, rssAfterLoad,
            session.KvCacheBytes, ProcessMemory.PeakRssBytes());
        stdout.Write(a.Has("json") ? report.ToJson() : report.ToTable());
        return 0;
    }

    private static int[] RandomIds(Random rng, int count, int nVocab)
    {
        var ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = rng.Next(nVocab);
        return ids;
    }

    private static void DecodeEach(Session session, int[] ids, int count)
    {
        for (int i = 0; i < count; i++) session.Decode(ids[i]);
    }

    /// <summary>
    /// One warm-up, then <paramref name="reps"/> timed runs of <paramref name="run"/>, each <paramref name="tokens"/>
    /// tokens; <paramref name="setUp"/> (reset, depth) before each, untimed.
    /// </summary>
    private static Speed Measure(int reps, Action setUp, Action run, int tokens, string label, TextWriter progress, Action? warmup = null)
    {
        setUp();
        (warmup ?? run)();
        var rates = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            setUp();
            long start = Stopwatch.GetTimestamp();
            run();
            rates[r] = tokens / Stopwatch.GetElapsedTime(start).TotalSeconds;
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: {label} rep {r + 1}/{reps}: {rates[r]:0.00} tokens/s"));
        }
        return Speed.Of(rates);
    }
}

/// <summary>llama-bench's test names: <c>pp512</c>, <c>tg128</c>, or with a depth <c>pp512 @ d2048</c>.</summary>
internal readonly record struct TestNames(int Depth)
{
    public string Of(string test, int tokens) =>
        Depth == 0 ? $"{test}{tokens}" : string.Create(CultureInfo.InvariantCulture, $"{test}{tokens} @ d{Depth}");
}

/// <summary>Median, min, max and standard deviation of repeated tokens/s measurements.</summary>
internal sealed record Speed(double Median, double Min, double Max, double StdDev, double[] Samples)
{
    public static Speed Of(double[] samples)
    {
        double[] sorted = [.. samples.Order()];
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        double mean = sorted.Average();
        double variance = n > 1 ? sorted.Sum(x => (x - mean) * (x - mean)) / (n - 1) : 0;
        return new Speed(median, sorted[0], sorted[^1], Math.Sqrt(variance), samples);
    }
}

/// <summary>What <c>deepsharp bench</c> prints: a llama-bench-like table or one JSON object.</summary>
internal sealed class BenchReport(string path, Model model, int threads, int nPrompt, int nGen, int depth, int reps,
    Speed? pp, Speed? tg, long rssAfterLoad, long kvBytes, long peakRss)
{
    private readonly long _fileBytes = new FileInfo(path).Length;
    private readonly string _type = ModelTypeName(model.File);
    private readonly long _params = model.File.Tensors.Sum(t => t.ElementCount);

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", path);
            w.WriteString("arch", model.Spec.Arch);
            w.WriteString("model_type", _type);
            w.WriteNumber("model_size_bytes", _fileBytes);
            w.WriteNumber("model_params", _params);
            w.WriteNumber("threads", threads);
            w.WriteNumber("batch", model.Options.BatchSize);
            w.WriteString("kv_type", model.Options.KvType.ToString().ToLowerInvariant());
            w.WriteNumber("n_prompt", nPrompt);
            w.WriteNumber("n_gen", nGen);
            w.WriteNumber("n_depth", depth);
            w.WriteNumber("reps", reps);
            WriteSpeed(w, "pp", pp);
            WriteSpeed(w, "tg", tg);
            w.WriteNumber("rss_after_load_bytes", rssAfterLoad);
            w.WriteNumber("kv_cache_bytes", kvBytes);
            w.WriteNumber("peak_rss_bytes", peakRss);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteSpeed(Utf8JsonWriter w, string prefix, Speed? s)
    {
        if (s is null)
        {
            w.WriteNull($"{prefix}_tokens_per_s");
            return;
        }
        w.WriteNumber($"{prefix}_tokens_per_s", Math.Round(s.Median, 3));
        w.WriteNumber($"{prefix}_min_tokens_per_s", Math.Round(s.Min, 3));
        w.WriteNumber($"{prefix}_max_tokens_per_s", Math.Round(s.Max, 3));
        w.WriteNumber($"{prefix}_stddev_tokens_per_s", Math.Round(s.StdDev, 3));
        w.WriteStartArray($"{prefix}_samples_tokens_per_s");
        foreach (double x in s.Samples) w.WriteNumberValue(Math.Round(x, 3));
        w.WriteEndArray();
    }

    public string ToTable()
    {
        var sb = new System.Text.StringBuilder();
        string head = string.Create(CultureInfo.InvariantCulture,
            $"| {model.Spec.Arch} {_type} | {Mib(_fileBytes)} MiB | {_params / 1e6:0.0} M | {threads,2} ");
        sb.Append("| model | size | params | threads | test | t/s (median) | min – max | stddev |\n");
        sb.Append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        var names = new TestNames(depth);
        if (pp is not null) Row(sb, head, names.Of("pp", nPrompt), pp);
        if (tg is not null) Row(sb, head, names.Of("tg", nGen), tg);
        sb.Append(string.Create(CultureInfo.InvariantCulture,
            $"memory: rss after load {Mib(rssAfterLoad)} MiB, peak rss {Mib(peakRss)} MiB, file {Mib(_fileBytes)} MiB, kv cache {Mib(kvBytes)} MiB\n"));
        return sb.ToString();
    }

    private static void Row(System.Text.StringBuilder sb, string head, string test, Speed s) =>
        sb.Append(string.Create(CultureInfo.InvariantCulture,
            $"{head}| {test} | {s.Median:0.00} | {s.Min:0.00} – {s.Max:0.00} | {s.StdDev:0.00} |\n"));

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>llama.cpp's name for <c>general.file_type</c> (Q4_K_M ...), else the type holding the most bytes.</summary>
    internal static string ModelTypeName(GgufFile file)
    {
        if (file.Metadata.ContainsKey("general.file_type") && FileTypeNames.TryGetValue(file.Metadata.GetInt64("general.file_type"), out string? name))
            return name;
        var dominant = file.Tensors.GroupBy(t => t.Type).MaxBy(g => g.Sum(t => t.ByteLength));
        return dominant is null ? "unknown" : QuantTypeInfo.TryGet(dominant.Key)?.Name ?? $"type{(int)dominant.Key}";
    }

    // llama.cpp's llama_ftype values (the "mostly" types a quantizer writes into general.file_type).
    private static readonly Dictionary<long, string> FileTypeNames = new()
    {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1",
        [10] = "Q2_K", [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M",
        [16] = "Q5_K_S", [17] = "Q5_K_M", [18] = "Q6_K", [32] = "BF16",
    };
}

/// <summary>Resident memory of this process: VmRSS/VmHWM from /proc/self/status on Linux, Process counters elsewhere.</summary>
internal static class ProcessMemory
{
    public static long CurrentRssBytes() => ReadProcStatusKb("VmRSS:") ?? Environment.WorkingSet;

    public static long PeakRssBytes()
    {
        if (ReadProcStatusKb("VmHWM:") is long peak) return peak;
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    private static long? ReadProcStatusKb(string key)
    {
        const string status = "/proc/self/status";
        if (!OperatingSystem.IsLinux() || !File.Exists(status)) return null;
        foreach (string line in File.ReadLines(status))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            string number = line[key.Length..].Trim().Split(' ')[0];
            return long.TryParse(number, NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : null;
        }
        return null;
    }
}
