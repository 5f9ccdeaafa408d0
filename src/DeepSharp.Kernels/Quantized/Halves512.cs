using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Two 256-bit vectors as the low and high halves of one 512-bit vector, in one insert (Vector512.Create(lo, hi)
/// went through the stack), or 32 bytes of memory in both halves in one load. The 512-bit kernels use it to run two
/// rows' or two tokens' steps at once.
/// </summary>
internal static class Halves512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Join(Vector256<float> lo, Vector256<float> hi) => Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Join(Vector256<int> lo, Vector256<int> hi) => Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Join(Vector256<short> lo, Vector256<short> hi) => Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Join(Vector256<byte> lo, Vector256<byte> hi) => Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1);

    /// <summary>
    /// The 32 bytes at <paramref name="p"/> in both halves: one broadcast load (AVX512DQ's vbroadcasti32x8, which .NET
    /// 10 enables together with AVX-512 F, BW and VL — one switch, <c>DOTNET_EnableAVX512</c>). Not
    /// <c>Avx512F.BroadcastVector256ToVector512</c>: .NET 10's JIT writes its vbroadcasti64x4 with the displacement
    /// scaled for a 16-byte operand where the CPU scales by 32, so a load from [p + 0x80] read p + 0x100 (seen trying it
    /// in the Q6_K kernel: every row wrong; <c>Halves512Tests</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<sbyte> Broadcast(sbyte* p) => Avx512DQ.BroadcastVector256ToVector512((int*)p).AsSByte();
}
