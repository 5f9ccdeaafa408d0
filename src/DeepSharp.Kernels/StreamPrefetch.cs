using System.Globalization;
using System.Runtime.CompilerServices;

namespace DeepSharp.Kernels;

/// <summary>
/// How far ahead of the block being read decode's weight-streaming kernels prefetch in software (the packed Q4_0,
/// Q4_K, Q8_0 and Q5_0 one-token kernels, the packed Q4 kernels' 2–3 tokens, the 512-bit Q6_K rows), and into which
/// cache level, chosen once per process for this CPU, or set by <c>DEEPSHARP_STREAM_PREFETCH</c>: a distance in bytes
/// (a multiple of 64; 0: none), into every level, or followed by <c>:l2</c> into L2 only.
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
/// Why into L2 on that Xeon (session 29): a prefetch into L1 holds one of the core's few L1 miss buffers until its line
/// comes from memory, one into L2 leaves them to the demand loads, which then hit L2. A plain read there ran 11.1 GB/s
/// without a prefetch, 11.5–11.8 with one 4–16 KB ahead into L1, 12.8–13.1 with one 4–32 KB ahead into L2 (medians
/// of 18 passes); the engine's decode step, the two alternated in one process, gained 1–14% at 1 thread (0.5B Q8_0;
/// 1.5B Q4_K_M, Q4_0, Q8_0) and 3–7% at 2. On the Zen 5 it stays into every level, as measured there.
/// (History: the packed Q4 kernels prefetched 4 KB ahead on every CPU from session 6 to 23, measured then on 4 KiB
/// pages; session 24 made it 8 KB for every streaming kernel.)
/// </summary>
public static class StreamPrefetch
{
    public const string EnvironmentVariable = "DEEPSHARP_STREAM_PREFETCH";

    /// <summary>The distance where it was measured to pay (AMD family 1Ah, Zen 5; Intel family 6 model CFh).</summary>
    public const int MeasuredBytes = 8192;

    /// <summary>The variable's suffix for a prefetch into L2 only.</summary>
    public const string L2Suffix = ":l2";

    /// <summary>This process's setting (its two parts are <see cref="Bytes"/> and <see cref="IntoL2"/>).</summary>
    public static StreamPrefetchSetting Current { get; } = Select(Environment.GetEnvironmentVariable(EnvironmentVariable), CpuIdentity.Current);

    /// <summary>The distance in bytes this process's kernels prefetch ahead; 0: they do not.</summary>
    /// <remarks>A static readonly field: once the class is initialized, the JIT's optimized code takes it as a constant,
    /// so the kernels' check costs nothing and, where it is 0, their prefetch disappears.</remarks>
    public static readonly int Bytes = Current.Bytes;

    /// <summary>Whether this process's kernels prefetch into L2 only (else into every level); a constant to the JIT too.</summary>
    public static readonly bool IntoL2 = Current.IntoL2;

    /// <summary>The setting for a <c>DEEPSHARP_STREAM_PREFETCH</c> value (null or empty: this CPU's) on <paramref name="cpu"/>.</summary>
    public static StreamPrefetchSetting Select(string? forced, CpuIdentity cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        if (string.IsNullOrWhiteSpace(forced)) return ForCpu(cpu);
        string value = forced.Trim();
        bool intoL2 = value.EndsWith(L2Suffix, StringComparison.OrdinalIgnoreCase);
        if (intoL2) value = value[..^L2Suffix.Length];
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int bytes) || bytes % 64 != 0 || bytes > 1 << 20)
            throw new InvalidOperationException(
                $"{EnvironmentVariable}='{forced}' is not a distance in bytes: a multiple of 64 from 0 (none) to 1048576, " +
                $"optionally followed by '{L2Suffix}' (into L2 only)");
        return new StreamPrefetchSetting(bytes, intoL2 && bytes > 0);
    }

    // The CPUs where a prefetch was measured to pay, and into which level (see the class's remarks).
    private static StreamPrefetchSetting ForCpu(CpuIdentity cpu) => cpu switch
    {
        { Vendor: CpuIdentity.Amd, Family: 0x1A } => new StreamPrefetchSetting(MeasuredBytes, IntoL2: false),
        { Vendor: CpuIdentity.Intel, Family: 6, Model: 0xCF } => new StreamPrefetchSetting(MeasuredBytes, IntoL2: true),
        _ => new StreamPrefetchSetting(0, IntoL2: false),
    };

    /// <summary>
    /// Prefetches the cache lines of [p + <see cref="Bytes"/>, … + <paramref name="bytes"/>) where this CPU streams with
    /// a software prefetch, into L2 or every level as <see cref="IntoL2"/> says; does nothing elsewhere. Never faults,
    /// past the end of a matrix included.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Ahead(byte* p, int bytes)
    {
        if (Bytes == 0) return;
        if (IntoL2) KernelLoop.PrefetchL2(p + Bytes, bytes);
        else KernelLoop.Prefetch(p + Bytes, bytes);
    }
}

/// <summary>A decode prefetch: <paramref name="Bytes"/> ahead (0: none), into L2 only or into every level.</summary>
public readonly record struct StreamPrefetchSetting(int Bytes, bool IntoL2)
{
    /// <summary>As the benchmark tables print it.</summary>
    public override string ToString() =>
        Bytes == 0 ? "none" : string.Create(CultureInfo.InvariantCulture, $"{Bytes} bytes ahead into {(IntoL2 ? "L2" : "every level")}");
}
