using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Two 256-bit vectors as the low and high halves of one 512-bit vector, in one insert (Vector512.Create(lo, hi)
/// went through the stack). The 512-bit kernels use it to run two rows' or two tokens' float steps at once.
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
}
