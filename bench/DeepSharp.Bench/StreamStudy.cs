using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Bench;

/// <summary>
/// How close a stream that does arithmetic on what it reads comes to the bandwidth ceiling on this machine: the
/// ceiling's probe (<see cref="MemoryBandwidth.MeasureReadBytesPerSecond"/>) against passes over the same kind of
/// buffer doing k integer multiply-adds per 32-byte vector, alternated round after round, each also timed on a
/// buffer that stays in cache. Why: decode's fraction of the ceiling (issue 4 asks for 85%) is bounded by how well
/// this machine overlaps arithmetic with memory traffic, whatever the kernels; this measures that bound, and where a
/// kernel of a given in-cache speed should land streamed, instead of arguing it.
/// </summary>
/// <remarks>
/// A pass reads 32-byte vectors in order through four independent accumulator chains, as the probe does; each
/// multiply-add is an unsigned·signed byte multiply-add to int16 and an int16 multiply-add to int32 (the integer
/// core of a Q8_0 block's product, without the activations' loads). k = 1 is less arithmetic per byte than any
/// quantized dot product does.
/// </remarks>
internal static class StreamStudy
{
    private static readonly int[] MultiplyAdds = [1, 2, 4, 6, 8];
    private const long StreamBytes = 512L << 20, CachedBytes = 4L << 20;

    public static int Run(int threads, int rounds, TextWriter output)
    {
        if (!Avx2.IsSupported)
        {
            output.WriteLine("stream study: needs AVX2");
            return 1;
        }
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv,
            $"stream study: {threads} thread(s); streamed: 512 MiB, best of 10 trials; in cache: 4 MiB, best of 200; {rounds} round(s)"));
        var fractions = MultiplyAdds.ToDictionary(k => k, _ => new List<double>());
        for (int r = 0; r < rounds; r++)
            foreach (int k in MultiplyAdds)
            {
                Func<nint, long, long> pass = (p, n) => MultiplyAdd(p, n, k);
                double cached = MemoryBandwidth.MeasurePass(threads, CachedBytes, 200, pass);
                double probe = MemoryBandwidth.MeasureReadBytesPerSecond(threads);
                double streamed = MemoryBandwidth.MeasurePass(threads, StreamBytes, 10, pass);
                fractions[k].Add(streamed / probe);
                output.WriteLine(string.Create(inv,
                    $"round {r + 1}, {k} multiply-add(s) per vector: in cache {MemoryBandwidth.Gbps(cached)} GB/s ({cached / probe:0.00}x the probe), streamed {MemoryBandwidth.Gbps(streamed)} GB/s = {streamed / probe:0.0%} of the probe's {MemoryBandwidth.Gbps(probe)} GB/s"));
            }
        foreach (int k in MultiplyAdds)
            output.WriteLine(string.Create(inv,
                $"{k} multiply-add(s) per vector: streamed at {Speed.MedianOf([.. fractions[k]]):0.0%} of the probe (median of {rounds}; {fractions[k].Min():0.0%}–{fractions[k].Max():0.0%})"));
        return 0;
    }

    // 128 bytes per step: four 32-byte vectors, each its own accumulator chain, k multiply-adds each.
    private static unsafe long MultiplyAdd(nint at, long length, int k)
    {
        byte* p = (byte*)at;
        var weights = Vector256.Create((sbyte)3);
        var ones = Vector256.Create((short)1);
        Vector256<int> a = default, b = default, c = default, d = default;
        for (long i = 0; i + 128 <= length; i += 128)
        {
            var (x0, x1, x2, x3) = (Vector256.Load(p + i), Vector256.Load(p + i + 32), Vector256.Load(p + i + 64), Vector256.Load(p + i + 96));
            for (int j = 0; j < k; j++)
            {
                a += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x0, weights), ones);
                b += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x1, weights), ones);
                c += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x2, weights), ones);
                d += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x3, weights), ones);
            }
        }
        return Vector256.Sum(a + b + c + d);
    }
}
