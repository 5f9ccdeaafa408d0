using System.Runtime.InteropServices;
using System.Text;

namespace DeepSharp.Gguf;

/// <summary>Encodes GGUF strings and metadata values, little-endian, into a binary writer.</summary>
internal static class GgufValueWriter
{
    public static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    /// <summary>Writes the value body (not its type id, which the caller writes before it).</summary>
    public static void WriteValue(BinaryWriter w, GgufValue v)
    {
        switch (v.Raw)
        {
            case byte x: w.Write(x); break;
            case sbyte x: w.Write(x); break;
            case ushort x: w.Write(x); break;
            case short x: w.Write(x); break;
            case uint x: w.Write(x); break;
            case int x: w.Write(x); break;
            case float x: w.Write(x); break;
            case bool x: w.Write((byte)(x ? 1 : 0)); break;
            case ulong x: w.Write(x); break;
            case long x: w.Write(x); break;
            case double x: w.Write(x); break;
            case string x: WriteString(w, x); break;
            default: WriteArray(w, v); break;
        }
    }

    private static void WriteArray(BinaryWriter w, GgufValue v)
    {
        w.Write((uint)v.ElementType);
        w.Write((ulong)v.Count);
        switch (v.Raw)
        {
            case string[] strings:
                foreach (string s in strings)
                    WriteString(w, s);
                break;
            case bool[] bools:
                foreach (bool b in bools)
                    w.Write((byte)(b ? 1 : 0));
                break;
            case GgufValue[] nested:
                foreach (var inner in nested)
                    WriteArray(w, inner);
                break;
            case byte[] x: w.Write(x); break;
            case sbyte[] x: WriteScalars<sbyte>(w, x); break;
            case ushort[] x: WriteScalars<ushort>(w, x); break;
            case short[] x: WriteScalars<short>(w, x); break;
            case uint[] x: WriteScalars<uint>(w, x); break;
            case int[] x: WriteScalars<int>(w, x); break;
            case float[] x: WriteScalars<float>(w, x); break;
            case ulong[] x: WriteScalars<ulong>(w, x); break;
            case long[] x: WriteScalars<long>(w, x); break;
            case double[] x: WriteScalars<double>(w, x); break;
            default: throw new ArgumentException($"unsupported metadata value {v.Raw.GetType().Name}", nameof(v));
        }
    }

    // Little-endian host (checked by GgufWriter): the in-memory bytes are the file bytes.
    private static void WriteScalars<T>(BinaryWriter w, T[] values) where T : unmanaged =>
        w.Write(MemoryMarshal.AsBytes(values.AsSpan()));
}
