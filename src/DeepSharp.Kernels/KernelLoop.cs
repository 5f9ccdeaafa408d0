using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels;

/// <summary>What the kernels' hot vector loops (a row, a tile) have in common.</summary>
internal static unsafe class KernelLoop
{
    /// <summary>
    /// The method options of such a loop: never inlined into its caller. Why: with tiered PGO the JIT may inline the
    /// loop into the dispatching method, and the code it then made for the 512-bit Q6_K tile ran the 4-token output
    /// projection 3–4x slower (32 ms instead of 8; the server's 4-stream step 90 ms instead of 43) — depending on
    /// which methods were hot when the profile was taken, so it came and went between runs. Compiled on its own, a
    /// loop gets the same code in every process; one call per row or tile costs nothing beside the loop.
    /// </summary>
    public const MethodImplOptions Options = MethodImplOptions.NoInlining;

    /// <summary>
    /// Prefetches the cache lines of [p, p + bytes) into every level, for loops that read weights from memory faster
    /// than the hardware prefetcher runs ahead (see <see cref="StreamPrefetch"/>). Never faults, past the end of a matrix
    /// included.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(byte* p, int bytes)
    {
        for (int line = 0; line < bytes; line += 64) Sse.Prefetch0(p + line);
    }

    /// <summary>
    /// Prefetches the cache lines of [p, p + bytes) into L2 (and the levels beyond it), not L1: the demand load then
    /// finds the line one level nearer. Never faults, past the end of a matrix included.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchL2(byte* p, int bytes)
    {
        for (int line = 0; line < bytes; line += 64) Sse.Prefetch1(p + line);
    }
}
