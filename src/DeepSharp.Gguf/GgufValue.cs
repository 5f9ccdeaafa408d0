using System.Globalization;

namespace DeepSharp.Gguf;

/// <summary>
/// One GGUF metadata value (immutable). <see cref="Raw"/> holds a boxed scalar (byte, sbyte, ushort, short, uint, int,
/// float, bool, ulong, long, double), a string, or for arrays a typed array: byte[], sbyte[], ushort[], short[], uint[],
/// int[], float[], bool[], string[], ulong[], long[], double[], or GgufValue[] (each an array value) for arrays of arrays.
/// </summary>
public sealed class GgufValue
{
    private GgufValue(GgufValueType type, GgufValueType elementType, int count, object raw)
    {
        Type = type;
        ElementType = elementType;
        Count = count;
        Raw = raw;
    }

    /// <summary>The value's type.</summary>
    public GgufValueType Type { get; }

    /// <summary>For arrays the element type; for scalars the same as <see cref="Type"/>.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>For arrays the element count; 1 for scalars.</summary>
    public int Count { get; }

    /// <summary>The boxed scalar, string or typed array (see the class remarks).</summary>
    public object Raw { get; }

    /// <summary>True for integer types of any width and sign.</summary>
    public static bool IsInteger(GgufValueType t) => t is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16
        or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>Bytes one scalar of <paramref name="t"/> takes on disk, or 0 for strings and arrays (variable size).</summary>
    public static int ScalarSize(GgufValueType t) => t switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    public static GgufValue Of(byte v) => Scalar(GgufValueType.UInt8, v);
    public static GgufValue Of(sbyte v) => Scalar(GgufValueType.Int8, v);
    public static GgufValue Of(ushort v) => Scalar(GgufValueType.UInt16, v);
    public static GgufValue Of(short v) => Scalar(GgufValueType.Int16, v);
    public static GgufValue Of(uint v) => Scalar(GgufValueType.UInt32, v);
    public static GgufValue Of(int v) => Scalar(GgufValueType.Int32, v);
    public static GgufValue Of(float v) => Scalar(GgufValueType.Float32, v);
    public static GgufValue Of(bool v) => Scalar(GgufValueType.Bool, v);
    public static GgufValue Of(ulong v) => Scalar(GgufValueType.UInt64, v);
    public static GgufValue Of(long v) => Scalar(GgufValueType.Int64, v);
    public static GgufValue Of(double v) => Scalar(GgufValueType.Float64, v);
    public static GgufValue Of(string v) => Scalar(GgufValueType.String, v ?? throw new ArgumentNullException(nameof(v)));

    public static GgufValue Of(byte[] v) => Array(GgufValueType.UInt8, v);
    public static GgufValue Of(sbyte[] v) => Array(GgufValueType.Int8, v);
    public static GgufValue Of(ushort[] v) => Array(GgufValueType.UInt16, v);
    public static GgufValue Of(short[] v) => Array(GgufValueType.Int16, v);
    public static GgufValue Of(uint[] v) => Array(GgufValueType.UInt32, v);
    public static GgufValue Of(int[] v) => Array(GgufValueType.Int32, v);
    public static GgufValue Of(float[] v) => Array(GgufValueType.Float32, v);
    public static GgufValue Of(bool[] v) => Array(GgufValueType.Bool, v);
    public static GgufValue Of(ulong[] v) => Array(GgufValueType.UInt64, v);
    public static GgufValue Of(long[] v) => Array(GgufValueType.Int64, v);
    public static GgufValue Of(double[] v) => Array(GgufValueType.Float64, v);

    public static GgufValue Of(string[] v)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (System.Array.IndexOf(v, null) >= 0)
            throw new ArgumentException("string arrays must not contain null", nameof(v));
        return Array(GgufValueType.String, v);
    }

    /// <summary>An array of arrays; every element must itself be an array value.</summary>
    public static GgufValue Of(GgufValue[] v)
    {
        ArgumentNullException.ThrowIfNull(v);
        foreach (var e in v)
        {
            if (e is null || e.Type != GgufValueType.Array)
                throw new ArgumentException("every element of an array of arrays must be an array value", nameof(v));
        }
        return Array(GgufValueType.Array, v);
    }

    private static GgufValue Scalar(GgufValueType t, object v) => new(t, t, 1, v);

    private static GgufValue Array(GgufValueType elementType, System.Array v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new GgufValue(GgufValueType.Array, elementType, v.Length, v);
    }

    public override string ToString()
    {
        if (Type != GgufValueType.Array)
            return Convert.ToString(Raw, CultureInfo.InvariantCulture) ?? "";
        var items = ((System.Array)Raw).Cast<object>().Take(8).Select(o => Convert.ToString(o, CultureInfo.InvariantCulture));
        return $"{ElementType}[{Count}] {{{string.Join(", ", items)}{(Count > 8 ? ", ..." : "")}}}";
    }
}
