using System.Diagnostics;
using System.Globalization;
using DeepSharp.Core.Quant;
using DeepSharp.Gguf;
using DeepSharp.Kernels;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;

namespace DeepSharp.Bench;

/// <summary>
/// Where decode's distance from the bandwidth ceiling lies: in one process, round after round, the ceiling's probe
/// (three 512 MiB buffers held at once), a plain read of the very bytes one token's products read (every matrix of
/// the file once, in the file's order, packed as the engine packs them), those products (each through <see cref="MatMul"/> as its
/// own dispatch) and the engine's whole decode step (on its own copies), each as a rate of weight bytes. Products
/// below the plain read of their bytes: the kernels' streaming (access pattern, arithmetic, one stream per matrix);
/// the plain read below the probe: where the bytes lie in physical memory, which the engine does not choose.
/// </summary>
/// <remarks>
/// The products cover the bytes a token reads (both counts are printed): a mixture-of-experts layer's first k experts,
/// a per-head tensor as one matrix through the kernels of the engine's per-head views (which run in one dispatch too,
/// each head on its own activations). The matrices come in the file's order, except that per-head tensors come last.
/// </remarks>
internal static class ProductsStudy
{
    private const int StepTokens = 16;

    public static int Run(string modelPath, int threads, int rounds, TextWriter output)
    {
        using var file = GgufFile.Open(modelPath);
        long tokenBytes = MemoryBandwidth.WeightBytesPerToken(file);
        var matrices = Matrices(file);
        if (matrices.Count == 0) throw new InvalidDataException("the file has no matrices to multiply by");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"products study: {Path.GetFileName(modelPath)}, {threads} thread(s), {rounds} round(s); {matrices.Count} matrices, {Bytes(matrices) / 1e6:0.0} MB of the {tokenBytes / 1e6:0.0} MB a token reads"));
        using var pool = new WorkerPool(threads);
        var products = new TokenProducts(matrices, pool);
        using var engine = new DeepSharpEngine(modelPath, threads, nCtx: StepTokens + 1);
        var step = new DecodeSteps(engine, file);
        products.Run(matrices);   // warm-up: the kernels compiled, the packed pages touched
        step.Run();
        Rounds(rounds, threads, matrices, products, tokenBytes, step.Run, output);
        ByType(rounds, matrices, products, output);
        Placement(threads, output);
        return 0;
    }

    private static long Bytes(IEnumerable<QTensor> matrices) => matrices.Sum(m => m.RowBytes * m.Rows);

    // The probe, the plain read, the products and the step (bytes/s), round after round. The first pass after the
    // probe ran 30% slower than the next ones (1.5B Q8_0, 1 thread: 15.4–16.0 against 21.7–24.6 GB/s; the probe frees
    // 512 MiB just before): the plain read is the best of three passes, the products the median of three, the step
    // the median of three runs of its tokens.
    private static void Rounds(int rounds, int threads, List<QTensor> matrices, TokenProducts products, long tokenBytes,
        Func<double> stepSeconds, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        long bytes = Bytes(matrices);
        List<double> ofSameBytes = [], ofProbe = [], stepOfProbe = [];
        for (int r = 0; r < rounds; r++)
        {
            double probe = MemoryBandwidth.MeasureReadBytesPerSecond(threads);
            double read = bytes / products.BestRead(matrices);
            double run = bytes / MedianOfThree(() => products.Run(matrices));
            double step = tokenBytes / MedianOfThree(stepSeconds);
            ofSameBytes.Add(run / read);
            ofProbe.Add(run / probe);
            stepOfProbe.Add(step / probe);
            output.WriteLine(string.Create(inv,
                $"round {r + 1}: probe {MemoryBandwidth.Gbps(probe)} GB/s; plain read of the products' bytes {MemoryBandwidth.Gbps(read)} GB/s; products {MemoryBandwidth.Gbps(run)} GB/s ({run / read:0.0%} of that read, {run / probe:0.0%} of the probe); engine's decode step {MemoryBandwidth.Gbps(step)} GB/s ({step / probe:0.0%} of the probe)"));
        }
        output.WriteLine(
            $"median of {rounds}: products at {Spread(ofSameBytes)} of a plain read of their bytes and {Spread(ofProbe)} of the probe; decode step at {Spread(stepOfProbe)} of the probe");
    }

    // "median (min–max)" of fractions.
    private static string Spread(List<double> fractions) =>
        string.Create(CultureInfo.InvariantCulture, $"{Speed.MedianOf([.. fractions]):0.0%} ({fractions.Min():0.0%}–{fractions.Max():0.0%})");

    // Four 512 MiB buffers held at once, each read as the probe reads (best of three): where memory lies changes its
    // read rate (on this project's VM 24–34 GB/s between buffers at 1 thread, each the same round after round), and
    // the probe's fresh buffer lands anywhere.
    private static unsafe void Placement(int threads, TextWriter output)
    {
        const long bytes = 512L << 20;
        var buffers = Enumerable.Range(0, 4).Select(_ => (nint)StreamedMemory.Allocate(bytes)).ToArray();
        try
        {
            foreach (var b in buffers) new Span<long>((void*)b, (int)(bytes / sizeof(long))).Fill(1L);
            var rates = buffers.Select(b => bytes / Enumerable.Range(0, 3).Min(_ => ReadSeconds(threads, [(b, bytes)]))).ToArray();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"placement: four 512 MiB buffers held at once read {string.Join(", ", rates.Select(MemoryBandwidth.Gbps))} GB/s"));
        }
        finally
        {
            foreach (var b in buffers) StreamedMemory.Free((byte*)b);
        }
    }

    // Seconds for a plain read (MemoryBandwidth's probe loop) of the regions, thread i reading part i of each in turn,
    // no barrier between regions.
    private static unsafe double ReadSeconds(int threads, IReadOnlyList<(nint Address, long Length)> regions)
    {
        long start = Stopwatch.GetTimestamp();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            long sum = 0;
            foreach (var (address, length) in regions)
            {
                long part = length / threads / 128 * 128, from = i * part, to = i == threads - 1 ? length : from + part;
                sum += MemoryBandwidth.Sum((byte*)address + from, to - from);
            }
            GC.KeepAlive(sum);
        });
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    // The matrices of each weight type and width on their own (a Q4_K_M file's Q4_K and Q6_K, its 1536- and 8960-wide
    // rows): which kernel streams worse, and on which shape. Each round reads then runs every group; the fractions are
    // the rounds' median.
    private static void ByType(int rounds, List<QTensor> matrices, TokenProducts products, TextWriter output)
    {
        var groups = matrices.GroupBy(m => (m.Type, m.Cols)).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        var fractions = groups.Select(_ => new List<double>()).ToList();
        var rates = groups.Select(_ => (Read: new List<double>(), Run: new List<double>())).ToList();
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < groups.Count; i++)
            {
                long bytes = Bytes(groups[i]);
                double read = bytes / products.BestRead(groups[i]), run = bytes / MedianOfThree(() => products.Run(groups[i]));
                fractions[i].Add(run / read);
                rates[i].Read.Add(read);
                rates[i].Run.Add(run);
            }
        for (int i = 0; i < groups.Count; i++)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{groups[i][0].Type} × {groups[i][0].Cols} columns: {groups[i].Count} matrices, {Bytes(groups[i]) / 1e6:0.0} MB: plain read {MemoryBandwidth.Gbps(Speed.MedianOf(rates[i].Read))} GB/s, products {MemoryBandwidth.Gbps(Speed.MedianOf(rates[i].Run))} GB/s (medians); products at {Spread(fractions[i])} of the read"));
    }

    private static double MedianOfThree(Func<double> seconds) => Speed.MedianOf([seconds(), seconds(), seconds()]);

    // The matrices a token multiplies by, packed as the engine packs them: every 2-D tensor (the token embedding only
    // where the output is tied to it), the first expert_used_count experts of a mixture-of-experts layer's stacks (any
    // k read as many bytes), and a per-head tensor as one matrix of all its heads' rows, summed as llama.cpp's plain
    // MUL_MAT sums them, as the engine keeps its per-head views: packed where Q8_0/Q5_0 (the engine packs attn_k_b so),
    // else in the file's layout.
    private static List<QTensor> Matrices(GgufFile file)
    {
        bool tied = file.FindTensor("output.weight") is null;
        var (used, _) = MemoryBandwidth.ExpertsPerToken(file);
        var packed = new List<QTensor>();
        var perHead = new List<QTensor>();
        foreach (var t in file.Tensors.Where(t => t.Dims.Length >= 2 && (t.Name != "token_embd.weight" || tied)))
        {
            var tensor = QTensor.FromGguf(file, t);
            if (t.Dims.Length == 2) packed.Add(tensor);
            else if (IsExperts(t)) packed.AddRange(Experts(tensor, t, used));
            else
            {
                if (tensor.Type is QuantType.Q8_0 or QuantType.Q5_0) tensor.PrepareForMatMul();   // as the engine packs attn_k_b
                perHead.Add(tensor.RowRange(0, tensor.Rows, t.Name, llamaRepacked: false));
            }
        }
        Parallel.ForEach(packed, m => m.PrepareForMatMul());
        return [.. packed, .. perHead];
    }

    private static bool IsExperts(GgufTensorInfo t) => t.Name.Contains("_exps.", StringComparison.Ordinal) && t.Dims.Length == 3;

    // Experts [0, used) of a stacked tensor [cols, rows per expert, experts], each packed on its own (the engine packs
    // the whole stack and slices it: the same layout per expert, without packing the experts no token here reads).
    private static IEnumerable<QTensor> Experts(QTensor stacked, GgufTensorInfo info, long used) =>
        Enumerable.Range(0, (int)used).Select(e => stacked.RowRange(e * info.Dims[1], info.Dims[1], $"{info.Name}[{e}]"));

    // One token's products, one matrix after another, and a plain read of their bytes (seconds).
    private sealed class TokenProducts
    {
        private readonly MatMul _matMul;
        private readonly int _threads;
        private readonly float[] _x, _y;

        public TokenProducts(List<QTensor> matrices, WorkerPool pool)
        {
            _threads = pool.Threads;
            int cols = matrices.Max(m => m.Cols);
            _matMul = new MatMul(pool, cols, maxTokens: 1);
            var rng = new Random(1);
            _x = [.. Enumerable.Range(0, cols).Select(_ => rng.NextSingle() * 2 - 1)];
            _y = new float[matrices.Max(m => m.Rows)];
        }

        public double Run(List<QTensor> matrices)
        {
            long start = Stopwatch.GetTimestamp();
            foreach (var m in matrices) _matMul.Run(m, _x, 1, _y);
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        /// <summary>The best of three plain reads of the matrices' bytes: their reads without arithmetic or dispatches.</summary>
        public double BestRead(List<QTensor> matrices)
        {
            var regions = matrices.Select(m => m.ProductMemory).ToList();
            return Enumerable.Range(0, 3).Min(_ => ReadSeconds(_threads, regions));
        }
    }

    // The engine's decode: StepTokens steps from an empty cache; Run returns the seconds per step.
    private sealed class DecodeSteps(DeepSharpEngine engine, GgufFile file)
    {
        private readonly int[] _ids = [.. Enumerable.Range(0, StepTokens).Select(i => (int)(i * 7919L % VocabSize(file)))];

        public double Run()
        {
            engine.Reset();
            engine.Prefill([_ids[0]], 0);
            long start = Stopwatch.GetTimestamp();
            for (int i = 1; i < _ids.Length; i++) engine.DecodeOne(_ids[i], i);
            return Stopwatch.GetElapsedTime(start).TotalSeconds / (_ids.Length - 1);
        }

        private static long VocabSize(GgufFile file) =>
            file.FindTensor("token_embd.weight")?.Dims[1] ?? throw new InvalidDataException("the file has no token_embd.weight");
    }
}
