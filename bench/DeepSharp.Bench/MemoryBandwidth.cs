using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DeepSharp.Gguf;

namespace DeepSharp.Bench;

/// <summary>
/// The memory-bandwidth ceiling of decoding: how fast this machine can stream bytes from RAM with a given number of
/// threads (a vectorised sum over an array far larger than any cache), and how many weight bytes one token reads.
/// </summary>
internal static class MemoryBandwidth
{
    /// <summary>Best of <paramref name="trials"/> read rates in bytes/s, summing <paramref name="bytes"/> split across <paramref name="threads"/> threads.</summary>
    public static double MeasureReadBytesPerSecond(int threads, long bytes = 512L << 20, int trials = 5)
    {
        var data = new long[bytes / sizeof(long)];
        Array.Fill(data, 1L); // touches every page, so the timed passes read RAM rather than fault pages in
        long chunk = data.Length / threads;
        var partial = new long[threads];
        double best = 0;
        for (int t = 0; t < trials; t++)
        {
            long start = Stopwatch.GetTimestamp();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
            {
                long end = i == threads - 1 ? data.Length : (i + 1) * chunk;
                partial[i] = Sum(data.AsSpan((int)(i * chunk), (int)(end - i * chunk)));
            });
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (partial.Sum() != data.Length) throw new InvalidOperationException("bandwidth probe summed wrongly");
            best = Math.Max(best, data.Length * (double)sizeof(long) / seconds);
        }
        return best;
    }

    // Four independent accumulators keep several loads in flight, so the loop is limited by memory, not by adds.
    private static long Sum(ReadOnlySpan<long> values)
    {
        var vectors = MemoryMarshal.Cast<long, Vector256<long>>(values);
        Vector256<long> a = default, b = default, c = default, d = default;
        int i = 0;
        for (; i + 4 <= vectors.Length; i += 4)
        {
            a += vectors[i];
            b += vectors[i + 1];
            c += vectors[i + 2];
            d += vectors[i + 3];
        }
        for (; i < vectors.Length; i++) a += vectors[i];
        long sum = Vector256.Sum(a + b + c + d);
        for (int j = vectors.Length * Vector256<long>.Count; j < values.Length; j++) sum += values[j];
        return sum;
    }

    /// <summary>
    /// Weight bytes one decoded token reads: every tensor once, except the token embedding, of which only one row is
    /// read — unless the output projection is tied to it (no output.weight), when the whole matrix is read as well.
    /// </summary>
    public static long WeightBytesPerToken(GgufFile file)
    {
        long total = 0;
        foreach (var t in file.Tensors)
            total += t.Name == "token_embd.weight" ? t.RowByteLength : t.ByteLength;
        if (file.FindTensor("output.weight") is null && file.FindTensor("token_embd.weight") is { } embd)
            total += embd.ByteLength;
        return total;
    }

    public static string Gbps(double bytesPerSecond) => (bytesPerSecond / 1e9).ToString("0.00", CultureInfo.InvariantCulture);
}
