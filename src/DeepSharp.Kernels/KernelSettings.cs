namespace DeepSharp.Kernels;

/// <summary>The kernels' environment settings: <c>DEEPSHARP_FORCE_ISA</c> and <c>DEEPSHARP_STREAM_PREFETCH</c>.</summary>
public static class KernelSettings
{
    /// <summary>
    /// Reads both settings through <paramref name="environment"/> on the calling thread and throws where one is not
    /// valid: an <see cref="InvalidOperationException"/> (or <see cref="PlatformNotSupportedException"/> for a path
    /// this CPU lacks) whose message names the variable. Why: each is otherwise read where a kernel first needs it, and
    /// a bad value then surfaced wrapped (a TypeInitializationException, or an AggregateException from the parallel
    /// packing at load) with no clear message. Model loading calls this first.
    /// </summary>
    public static void Check(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        KernelIsaSelection.Select(environment(KernelIsaSelection.EnvironmentVariable));
        StreamPrefetch.Select(environment(StreamPrefetch.EnvironmentVariable), CpuIdentity.Current);
    }
}
