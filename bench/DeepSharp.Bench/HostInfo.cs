using System.Runtime.Intrinsics.X86;
using DeepSharp.Kernels;

namespace DeepSharp.Bench;

/// <summary>
/// What machine a table was measured on, printed above it. Why: the same project's sessions have run on a Zen 5 host
/// (AVX-VNNI, full-width AVX-512), on a Zen 4 host (no AVX-VNNI: the Q8_0/Q5_0 kernels take their byte
/// multiply-add path, and 512-bit operations run at half rate) and on an Intel Xeon (Emerald Rapids: AVX-VNNI, a third
/// of the Zen hosts' bandwidth per core), with different ratios, and decode's software prefetch is chosen per CPU
/// (<see cref="StreamPrefetch"/>); the table should say which.
/// </summary>
internal static class HostInfo
{
    public static string Describe() =>
        $"host: {Cpu()}, {Environment.ProcessorCount} logical CPUs; kernels: {KernelIsaSelection.Current}, int8 products: " +
        (AvxVnni.IsSupported ? "AVX-VNNI" : "byte multiply-add (no AVX-VNNI)") +
        $", decode prefetch {StreamPrefetch.Current}";

    // The first processor's model name, family and model from /proc/cpuinfo (Linux), else the OS's description.
    private static string Cpu()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo)) return System.Runtime.InteropServices.RuntimeInformation.OSDescription;
        var fields = new Dictionary<string, string>();
        foreach (string line in File.ReadLines(cpuinfo))
        {
            if (line.Length == 0) break;   // the end of the first processor's block
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0) fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        string Field(string name) => fields.GetValueOrDefault(name, "?");
        return $"{Field("model name")} (family {Field("cpu family")}, model {Field("model")})";
    }
}
