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
    /// Bytes ahead of the block being read that the kernels streaming weights once per token prefetch (decode's one
    /// token in the packed Q4_0, Q4_K, Q8_0 and Q5_0 kernels and the 512-bit Q6_K rows; the packed Q4 kernels' 2–3
    /// tokens too). Why: each weight byte is used once and briefly, and the hardware prefetcher alone leaves decode
    /// waiting on memory. 4 KB from session 6 to 23 (Q4 kernels only: 2 threads, 1.5B Q4_K_M 30.5–32.2 → 34.7–36.7 t/s;
    /// on 4 KiB pages, where 16 KB was no better than none, and the Q8_0 kernel gained nothing at 2–16 KB). With the
    /// weights in 2 MiB pages (session 21), on the Zen 5 host (session 24; whole decode steps, one process, 8 KB with
    /// against without, 1 / 2 threads): the Q8_0 kernel 1.5B 1.25x / 1.21x, 0.5B 1.18x / 1.09x (4 KB 1.13x / 1.08x,
    /// 16 KB 1.26x / 1.15x); the Q6_K rows (Q4_K_M file) 1.10x / 1.03x; the Q4 kernels 8 KB against 4 KB: Q4_0 1.04x /
    /// 1.10x, Q4_K_M 1.03x / 1.01x (16 KB 1.04x / 0.97x, 1.02x / 1.00x).
    /// </summary>
    public const int StreamPrefetchBytes = 8192;

    /// <summary>
    /// Prefetches the cache lines of [p, p + bytes) into every level, for loops that read weights from memory faster
    /// than the hardware prefetcher runs ahead. Never faults, past the end of a matrix included.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(byte* p, int bytes)
    {
        for (int line = 0; line < bytes; line += 64) Sse.Prefetch0(p + line);
    }
}
