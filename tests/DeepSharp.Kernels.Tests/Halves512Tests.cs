using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Kernels.Tests;

public unsafe class Halves512Tests
{
    [Fact]
    public void Broadcast_reads_the_32_bytes_at_a_constant_offset_into_both_halves()
    {
        // Only the AVX-512 kernels call it (and Vector512 instructions exist nowhere else).
        if (!KernelIsaSelection.IsSupported(KernelIsa.Avx512)) return;
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(512, 64);
        try
        {
            for (int i = 0; i < 512; i++) buffer[i] = (byte)(i * 7 + 3);
            var (at80, atA0) = AtConstantOffsets((sbyte*)buffer);
            AssertBothHalves(buffer + 0x80, at80);
            AssertBothHalves(buffer + 0xA0, atA0);
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    // Optimised at once, so that the JIT folds the offsets into the loads' displacements (where .NET 10's encoding of
    // Avx512F.BroadcastVector256ToVector512 goes wrong: [p + 0x80] read p + 0x100).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static (Vector512<sbyte>, Vector512<sbyte>) AtConstantOffsets(sbyte* p) =>
        (Halves512.Broadcast(p + 0x80), Halves512.Broadcast(p + 0xA0));

    private static void AssertBothHalves(byte* expected, Vector512<sbyte> actual)
    {
        for (int i = 0; i < 64; i++) Assert.Equal((sbyte)expected[i % 32], actual[i]);
    }
}
