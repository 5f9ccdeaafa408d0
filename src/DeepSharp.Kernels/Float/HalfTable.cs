using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DeepSharp.Kernels.Float;

/// <summary>
/// f16 → f32 by table (as ggml's CPU backend does with its 64K-entry table): .NET converts a Half in software,
/// with branches, in a call that showed up as 5% of decode time because every quantized block carries one or
/// two f16 scales. 256 KiB, filled once by the exact framework conversion, so results are unchanged.
/// </summary>
public static class HalfTable
{
    private static readonly float[] Values = Fill();

    /// <summary>The float value of the f16 stored little-endian at <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float At(ref byte p) => At(ref First, ref p);

    /// <summary>
    /// The table's first entry, for loops that look up a value per block: taken once before the loop and passed to
    /// <see cref="At(ref float, ref byte)"/>, it spares each iteration the static field's initialisation check, which
    /// the JIT otherwise keeps inside fully optimised loops.
    /// </summary>
    public static ref float First => ref MemoryMarshal.GetArrayDataReference(Values);

    /// <summary>The float value of the f16 at <paramref name="p"/>, through the table's <see cref="First"/> entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float At(ref float first, ref byte p) => Unsafe.Add(ref first, Unsafe.ReadUnaligned<ushort>(ref p));

    /// <summary>The float value of f16 bits <paramref name="bits"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort bits) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Values), bits);

    private static float[] Fill()
    {
        var values = new float[65536];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return values;
    }
}
