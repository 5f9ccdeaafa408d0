using System.Runtime.CompilerServices;

namespace DeepSharp.Kernels;

/// <summary>
/// The method options of a kernel that holds a hot vector loop (a row, a tile): never inlined into its caller.
/// Why: with tiered PGO the JIT may inline such a loop into the dispatching method, and the code it then made for
/// the 512-bit Q6_K tile ran the 4-token output projection 3–4x slower (32 ms instead of 8; the server's 4-stream
/// step 90 ms instead of 43) — depending on which methods were hot when the profile was taken, so it came and went
/// between runs. Compiled on its own, a kernel's loop gets the same code in every process; one call per row or
/// tile costs nothing beside the loop.
/// </summary>
internal static class KernelLoop
{
    public const MethodImplOptions Options = MethodImplOptions.NoInlining;
}
