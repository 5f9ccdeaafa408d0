using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using DeepSharp.Gguf;
using DeepSharp.Kernels;

namespace DeepSharp.Bench;

/// <summary>
/// The memory-bandwidth ceiling of decoding: how fast this machine can stream bytes from RAM with a given number of
/// threads (a vectorised sum over an array far larger than any cache, in 2 MiB pages where Linux gives them, as the
/// engine holds its weights: 4 KiB pages read slower, see <see cref="StreamedMemory"/>), and how many weight bytes one
/// token reads.
/// </summary>
internal static class MemoryBandwidth
{
    /// <summary>
    /// Best of <paramref name="trials"/> read rates in bytes/s, summing <paramref name="bytes"/> split across
    /// <paramref name="threads"/> threads, in each of <paramref name="buffers"/> buffers held at once (trials taking
    /// them in turn), after one untimed pass over each (the pool's threads started, the pages mapped).
    /// </summary>
    /// <remarks>
    /// Session 10: the loop reads through a pointer; the span version's bounds-checked indexing read 37 against 40 GB/s
    /// on one thread and 61–78 against 75–80 on two (alternated in one process), so decode's fraction of the ceiling
    /// came out too high (up to 94% in that run). Session 24: one fresh buffer per probe read 36–46 GB/s at 2 threads
    /// while the engine's decode read 45 in the same minutes (117% of that "ceiling"): on this VM a buffer reads
    /// at the speed of where it lands (four buffers held at once, one process: 37.9, 63.9, 63.7, 63.3 GB/s). Three
    /// buffers, best of all passes, make the ceiling the machine's and not one placement's.
    /// </remarks>
    public static unsafe double MeasureReadBytesPerSecond(int threads, long bytes = 512L << 20, int trials = 12, int buffers = 3) =>
        MeasurePass(threads, bytes, trials, (p, n) => Sum((byte*)p, n), expected: bytes / sizeof(long), buffers);

    /// <summary>
    /// Best of <paramref name="trials"/> rates in bytes/s of <paramref name="pass"/> over a buffer of
    /// <paramref name="bytes"/> (every long 1, in <see cref="StreamedMemory"/>) split across <paramref name="threads"/>
    /// threads, each part a multiple of 128 bytes, after one untimed pass; with several <paramref name="buffers"/>, all
    /// held at once and taken in turn. The parts' results must add up to <paramref name="expected"/> when it is given:
    /// a pass that skipped its reads would be caught.
    /// </summary>
    public static unsafe double MeasurePass(int threads, long bytes, int trials, Func<nint, long, long> pass, long? expected = null, int buffers = 1)
    {
        long count = bytes / sizeof(long);
        var data = new nint[buffers];
        try
        {
            for (int b = 0; b < buffers; b++)
            {
                data[b] = (nint)StreamedMemory.Allocate(count * sizeof(long));  // as the engine holds its packed weights
                new Span<long>((void*)data[b], checked((int)count)).Fill(1L); // touches every page, so the passes read RAM
            }
            long chunk = bytes / threads / 128 * 128;
            var partial = new long[threads];
            double best = 0;
            for (int t = -buffers; t < trials; t++)
            {
                byte* at = (byte*)data[(t + buffers) % buffers];
                long start = Stopwatch.GetTimestamp();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
                {
                    long end = i == threads - 1 ? count * sizeof(long) : (i + 1) * chunk;
                    partial[i] = pass((nint)(at + i * chunk), end - i * chunk);
                });
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (expected is { } e && partial.Sum() != e) throw new InvalidOperationException("bandwidth probe summed wrongly");
                if (t >= 0) best = Math.Max(best, count * (double)sizeof(long) / seconds);
            }
            return best;
        }
        finally
        {
            foreach (var d in data)
                if (d != 0) StreamedMemory.Free((byte*)d);
        }
    }

    // Four independent accumulators keep several loads in flight, so the loop is limited by memory, not by adds.
    internal static unsafe long Sum(byte* bytes, long length)
    {
        long* values = (long*)bytes;
        long n = length / sizeof(long);
        Vector256<long> a = default, b = default, c = default, d = default;
        long i = 0;
        for (; i + 16 <= n; i += 16)
        {
            a += Vector256.Load(values + i);
            b += Vector256.Load(values + i + 4);
            c += Vector256.Load(values + i + 8);
            d += Vector256.Load(values + i + 12);
        }
        long sum = Vector256.Sum(a + b + c + d);
        for (; i < n; i++) sum += values[i];
        return sum;
    }

    /// <summary>
    /// Weight bytes one decoded token reads: every tensor once, except the token embedding, of which only one row is
    /// read — unless the output projection is tied to it (no output.weight), when the whole matrix is read as well —
    /// and a mixture-of-experts layer's stacked expert tensors (<c>*_exps</c>), of which a token reads its
    /// <c>expert_used_count</c> experts of <c>expert_count</c> (DeepSeek-V2-Lite: 6 of 64; counted in full, decode
    /// came out at 350% of the ceiling). The shared experts and the router are read in full.
    /// </summary>
    public static long WeightBytesPerToken(GgufFile file)
    {
        var (used, experts) = ExpertsPerToken(file);
        long total = 0;
        foreach (var t in file.Tensors)
            total += t.Name == "token_embd.weight" ? t.RowByteLength
                : t.Name.Contains("_exps.", StringComparison.Ordinal) ? t.ByteLength / experts * used
                : t.ByteLength;
        if (file.FindTensor("output.weight") is null && file.FindTensor("token_embd.weight") is { } embd)
            total += embd.ByteLength;
        return total;
    }

    // (expert_used_count, expert_count) of the file's architecture; (1, 1) for a dense model.
    internal static (long Used, long Experts) ExpertsPerToken(GgufFile file)
    {
        var md = file.Metadata;
        string arch = md.GetStringOrNull("general.architecture") ?? "";
        long experts = md.GetInt64OrDefault($"{arch}.expert_count", 0);
        return experts > 0 ? (md.GetInt64($"{arch}.expert_used_count"), experts) : (1, 1);
    }

    public static string Gbps(double bytesPerSecond) => (bytesPerSecond / 1e9).ToString("0.00", CultureInfo.InvariantCulture);
}
