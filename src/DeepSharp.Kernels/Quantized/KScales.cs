using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepSharp.Kernels.Quantized;

/// <summary>Q4_K/Q5_K's 12 packed bytes → 8 six-bit scales and 8 six-bit mins (the same values as RowDecoder.ScaleMinK4).</summary>
internal static class KScales
{
    private const uint Low6 = 0x3f3f3f3f, Low4 = 0x0f0f0f0f, Low2 = 0x03030303;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<short> Scales, Vector128<short> Mins) Unpack(ref byte packed)
    {
        uint u0 = Unsafe.ReadUnaligned<uint>(ref packed);
        uint u1 = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref packed, 4));
        uint u2 = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref packed, 8));
        // scales 0-3: low 6 bits of bytes 0-3; 4-7: low nibbles of bytes 8-11 | top 2 bits of bytes 0-3.
        // mins 0-3: low 6 bits of bytes 4-7; 4-7: high nibbles of bytes 8-11 | top 2 bits of bytes 4-7.
        uint sc03 = u0 & Low6, sc47 = (u2 & Low4) | (((u0 >> 6) & Low2) << 4);
        uint mn03 = u1 & Low6, mn47 = ((u2 >> 4) & Low4) | (((u1 >> 6) & Low2) << 4);
        var bytes = Vector128.Create(sc03, sc47, mn03, mn47).AsByte();
        return (Vector128.WidenLower(bytes).AsInt16(), Vector128.WidenUpper(bytes).AsInt16());
    }
}
