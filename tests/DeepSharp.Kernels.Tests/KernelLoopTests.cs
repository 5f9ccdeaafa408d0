using System.Reflection;
using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// The row and tile loops stay out of their callers (<see cref="KernelLoop"/>): when tiered PGO inlined the 512-bit
/// Q6_K tile into its dispatcher, the 4-token output projection ran 3–4x slower in some processes. A speed test cannot
/// catch that reliably on a shared machine, so this checks the attribute itself.
/// </summary>
public sealed class KernelLoopTests
{
    public static TheoryData<Type, string> Loops() => new()
    {
        { typeof(TilesQ8_0), nameof(TilesQ8_0.Rows4) },
        { typeof(TilesQ8_0), nameof(TilesQ8_0.Rows4x2) },
        { typeof(TilesQ8_0), nameof(TilesQ8_0.Rows4x4) },
        { typeof(TilesQ8_0), "RowsTokens" },
        { typeof(TilesQ6K), nameof(TilesQ6K.Rows) },
        { typeof(TilesQ6K), nameof(TilesQ6K.RowsX4) },
        { typeof(TilesQ6KAvx512), nameof(TilesQ6KAvx512.Rows) },
        { typeof(TilesQ6KAvx512), nameof(TilesQ6KAvx512.RowsX4) },
        { typeof(PackedRows8Avx512), nameof(PackedRows8Avx512.Q4K) },
        { typeof(PackedRows8Avx512), nameof(PackedRows8Avx512.Q4_0) },
        { typeof(PackedRows8Avx512), "Q4KOneToken" },
        { typeof(PackedRows8Avx2), nameof(PackedRows8Avx2.Q4K) },
        { typeof(PackedRows8Avx2), nameof(PackedRows8Avx2.Q4_0) },
    };

    [Theory]
    [MemberData(nameof(Loops))]
    public void A_kernel_loop_is_never_inlined(Type kernels, string name)
    {
        var method = kernels.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static);
        Assert.NotNull(method);
        Assert.True(method.MethodImplementationFlags.HasFlag(MethodImplAttributes.NoInlining), $"{kernels.Name}.{name} may be inlined");
    }
}
