using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels;

/// <summary>The instruction-set paths the kernels have, slowest first.</summary>
public enum KernelIsa
{
    /// <summary>Plain loops: the reference every other path is tested against.</summary>
    Scalar,
    /// <summary>Portable Vector128 code (ARM64 NEON, older x86).</summary>
    Vector128,
    /// <summary>x86 AVX2 + FMA (+ AVX-VNNI for the int8 products when the CPU has it).</summary>
    Avx2,
    /// <summary>x86 AVX-512 F/BW/VL on top of the AVX2 path.</summary>
    Avx512,
}

/// <summary>
/// Which path the kernels take: the best this CPU supports, or the one named by the environment variable
/// <c>DEEPSHARP_FORCE_ISA</c> (avx512|avx2|vector128|scalar), read once. Every path computes bit-identical
/// results (integer sums are exact, float sums follow one fixed order), so forcing one only changes speed.
/// </summary>
public static class KernelIsaSelection
{
    public const string EnvironmentVariable = "DEEPSHARP_FORCE_ISA";

    private static readonly Lazy<KernelIsa> Selected = new(() => Select(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>The path every kernel dispatches to in this process.</summary>
    public static KernelIsa Current => Selected.Value;

    /// <summary>Whether this CPU can run <paramref name="isa"/>.</summary>
    public static bool IsSupported(KernelIsa isa) => isa switch
    {
        KernelIsa.Scalar => true,
        KernelIsa.Vector128 => Vector128.IsHardwareAccelerated,
        KernelIsa.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        KernelIsa.Avx512 => Avx2.IsSupported && Fma.IsSupported && Avx512F.IsSupported && Avx512BW.IsSupported
            && Avx512F.VL.IsSupported && Avx512BW.VL.IsSupported,
        _ => false,
    };

    /// <summary>The fastest supported path.</summary>
    public static KernelIsa Best =>
        Enum.GetValues<KernelIsa>().Where(IsSupported).Max();

    /// <summary>Every path this CPU supports (what the tests compare).</summary>
    public static IReadOnlyList<KernelIsa> SupportedPaths => [.. Enum.GetValues<KernelIsa>().Where(IsSupported)];

    /// <summary>The path for a <c>DEEPSHARP_FORCE_ISA</c> value (null or empty = the best supported).</summary>
    public static KernelIsa Select(string? forced)
    {
        if (string.IsNullOrWhiteSpace(forced)) return Best;
        if (!Enum.TryParse(forced.Trim(), ignoreCase: true, out KernelIsa isa) || !Enum.IsDefined(isa) || int.TryParse(forced, out _))
            throw new InvalidOperationException(
                $"{EnvironmentVariable}='{forced}' is not one of avx512, avx2, vector128, scalar");
        if (!IsSupported(isa))
            throw new PlatformNotSupportedException(
                $"{EnvironmentVariable}={forced}: this CPU does not support {isa} (supported: {string.Join(", ", SupportedPaths)})");
        return isa;
    }
}
