using System.Globalization;
using System.Runtime.CompilerServices;

namespace DeepSharp.Kernels;

/// <summary>
/// How far ahead of the block being read decode's weight-streaming kernels prefetch in software (the packed Q4_0,
/// Q4_K, Q8_0 and Q5_0 one-token kernels, the packed Q4 kernels' 2–3 tokens, the 512-bit Q6_K rows), chosen once per
/// process for this CPU, or set by <c>DEEPSHARP_STREAM_PREFETCH</c> (bytes, a multiple of 64; 0: none).
/// Why per CPU: each weight byte is used once and briefly, and whether the hardware prefetcher alone keeps up differs
/// between microarchitectures that share every instruction set. Whole decode steps, one process, the two forms
/// switched between runs of 48–64 tokens (1 / 2 threads): on a Zen 5 (AMD family 1Ah, session 24) 8 KB ahead against
/// none made the packed Q8_0 kernel 1.25x / 1.21x faster (1.5B), 1.18x / 1.09x (0.5B), the Q6_K rows 1.10x / 1.03x
/// (Q4_K_M file), and against the 4 KB used before, the packed Q4 kernels 1.04x / 1.10x (Q4_0), 1.03x / 1.01x
/// (Q4_K_M); on a Zen 4 (family 19h, session 25) none against 8 KB was faster: 1.5B Q8_0 1.05x / 1.12x, 0.5B Q8_0
/// 1.05x / 1.12x, Q4_K_M 1.19x / 1.01x, Q4_0 1.01x / 1.00x, and against the 4 KB of before, Q4_K_M 1.11x / 1.07x,
/// Q4_0 1.01x / 0.97x. On an Intel Xeon of family 6 model CFh (Emerald Rapids, session 28: a mesh server core whose
/// single-core bandwidth is bound by how many misses it keeps in flight) the kernels without a prefetch read only
/// 60–65% as fast as a plain read of the same bytes, and 8 KB ahead brought them to 91–101% (products study, 1.5B
/// Q4_0, Q4_K_M, Q8_0, 1 thread; <c>DeepSharp.Bench --products-study</c>). Only the CPUs measured to gain get it;
/// elsewhere (other families and models, unknown) decode relies on the hardware prefetcher, as llama.cpp's kernels do.
/// (History: the packed Q4 kernels prefetched 4 KB ahead on every CPU from session 6 to 23, measured then on 4 KiB
/// pages; session 24 made it 8 KB for every streaming kernel.)
/// </summary>
public static class StreamPrefetch
{
    public const string EnvironmentVariable = "DEEPSHARP_STREAM_PREFETCH";

    /// <summary>The distance where it was measured to pay (AMD family 1Ah, Zen 5; Intel family 6 model CFh).</summary>
    public const int MeasuredBytes = 8192;

    /// <summary>The distance in bytes this process's kernels prefetch ahead; 0: they do not.</summary>
    /// <remarks>A static readonly field: once the class is initialized, the JIT's optimized code takes it as a constant,
    /// so the kernels' check costs nothing and, where it is 0, their prefetch disappears.</remarks>
    public static readonly int Bytes = Select(Environment.GetEnvironmentVariable(EnvironmentVariable), CpuIdentity.Current);

    /// <summary>The distance for a <c>DEEPSHARP_STREAM_PREFETCH</c> value (null or empty: this CPU's) on <paramref name="cpu"/>.</summary>
    public static int Select(string? forced, CpuIdentity cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        if (string.IsNullOrWhiteSpace(forced)) return GainsFromPrefetch(cpu) ? MeasuredBytes : 0;
        if (!int.TryParse(forced.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int bytes) || bytes % 64 != 0 || bytes > 1 << 20)
            throw new InvalidOperationException(
                $"{EnvironmentVariable}='{forced}' is not a distance in bytes: a multiple of 64 from 0 (none) to 1048576");
        return bytes;
    }

    // The CPUs where a prefetch was measured to pay (see the class's remarks).
    private static bool GainsFromPrefetch(CpuIdentity cpu) =>
        cpu is { Vendor: CpuIdentity.Amd, Family: 0x1A } or { Vendor: CpuIdentity.Intel, Family: 6, Model: 0xCF };

    /// <summary>
    /// Prefetches the cache lines of [p + <see cref="Bytes"/>, … + <paramref name="bytes"/>) where this CPU streams with
    /// a software prefetch; does nothing elsewhere. Never faults, past the end of a matrix included.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Ahead(byte* p, int bytes)
    {
        if (Bytes != 0) KernelLoop.Prefetch(p + Bytes, bytes);
    }
}
