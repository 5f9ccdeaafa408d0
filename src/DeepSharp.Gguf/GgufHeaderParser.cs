using System.Numerics;
using System.Runtime.InteropServices;
using DeepSharp.Core.Quant;

namespace DeepSharp.Gguf;

/// <summary>Everything before the tensor data, parsed and validated.</summary>
internal sealed record GgufHeader(uint Version, GgufMetadata Metadata, IReadOnlyList<GgufTensorInfo> Tensors, long Alignment, long DataOffset);

/// <summary>
/// Parses and validates a GGUF header (versions 2 and 3) from memory. Every length is checked against the bytes that
/// remain before anything is allocated, so hostile counts fail fast instead of exhausting memory.
/// </summary>
internal static unsafe class GgufHeaderParser
{
    public const uint Magic = 0x46554747; // "GGUF" read as little-endian u32
    public const long DefaultAlignment = 32;
    public const string AlignmentKey = "general.alignment";
    public const int MaxDims = 4;
    private const int MaxArrayNesting = 8;
    private const long MaxAlignment = 1L << 30;
    private const int MinKvBytes = 8 + 4 + 1;                // empty key, type id, smallest value
    private const int MinTensorInfoBytes = 8 + 4 + 8 + 4 + 8; // empty name, n_dims, one dim, type, offset

    /// <summary>Parses a whole file held in managed memory (tests, small files).</summary>
    public static GgufHeader Parse(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
            return Parse(p, bytes.Length);
    }

    public static GgufHeader Parse(byte* start, long length)
    {
        var c = new GgufCursor(start, length);
        uint version = ReadMagicAndVersion(ref c);
        ulong tensorCount = c.ReadU64("tensor count");
        ulong kvCount = c.ReadU64("metadata key count");
        if (kvCount > (ulong)(c.Remaining / MinKvBytes))
            throw c.Error($"metadata key count {kvCount} cannot fit in the {c.Remaining} bytes left");
        if (tensorCount > (ulong)(c.Remaining / MinTensorInfoBytes))
            throw c.Error($"tensor count {tensorCount} cannot fit in the {c.Remaining} bytes left");

        var metadata = ReadMetadata(ref c, (int)kvCount);
        long alignment = ReadAlignment(metadata);
        var tensors = ReadTensorInfos(ref c, (int)tensorCount, alignment);
        c.Context = "tensor directory";
        c.AlignTo(alignment);
        long dataOffset = c.Position;
        ValidateDataRanges(tensors, length - dataOffset);
        return new GgufHeader(version, metadata, tensors, alignment, dataOffset);
    }

    private static uint ReadMagicAndVersion(ref GgufCursor c)
    {
        if (c.Remaining < 4 || c.ReadU32("magic") != Magic)
            throw new GgufFormatException("not a GGUF file: bad magic (expected the bytes 'GGUF')");
        uint version = c.ReadU32("version");
        if (version is 2 or 3)
            return version;
        if (version == 1)
            throw new GgufFormatException("GGUF version 1 is not supported (it used 32-bit lengths); re-convert the model with a current llama.cpp");
        if (BinaryPrimitivesSwap(version) is 2 or 3)
            throw new GgufFormatException("big-endian GGUF files are not supported");
        throw new GgufFormatException($"unsupported GGUF version {version} (expected 2 or 3)");
    }

    private static uint BinaryPrimitivesSwap(uint v) => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);

    private static GgufMetadata ReadMetadata(ref GgufCursor c, int count)
    {
        var entries = new List<KeyValuePair<string, GgufValue>>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            c.Context = $"metadata entry #{i}";
            string key = c.ReadString("key");
            c.Context = $"metadata key '{GgufCursor.Printable(key)}'";
            if (!seen.Add(key))
                throw c.Error("duplicate key");
            var type = ReadValueType(ref c, "value type");
            entries.Add(new(key, ReadValue(ref c, type, 0)));
        }
        return new GgufMetadata(entries);
    }

    private static GgufValueType ReadValueType(ref GgufCursor c, string what)
    {
        uint id = c.ReadU32(what);
        return id <= (uint)GgufValueType.Float64 ? (GgufValueType)id : throw c.Error($"unknown {what} id {id}");
    }

    private static GgufValue ReadValue(ref GgufCursor c, GgufValueType type, int depth) => type switch
    {
        GgufValueType.UInt8 => GgufValue.Of(c.ReadU8("value")),
        GgufValueType.Int8 => GgufValue.Of((sbyte)c.ReadU8("value")),
        GgufValueType.UInt16 => GgufValue.Of(ReadScalars<ushort>(ref c, 1)[0]),
        GgufValueType.Int16 => GgufValue.Of(ReadScalars<short>(ref c, 1)[0]),
        GgufValueType.UInt32 => GgufValue.Of(c.ReadU32("value")),
        GgufValueType.Int32 => GgufValue.Of((int)c.ReadU32("value")),
        GgufValueType.Float32 => GgufValue.Of(BitConverter.UInt32BitsToSingle(c.ReadU32("value"))),
        GgufValueType.Bool => GgufValue.Of(ReadBool(ref c)),
        GgufValueType.String => GgufValue.Of(c.ReadString("string value")),
        GgufValueType.UInt64 => GgufValue.Of(c.ReadU64("value")),
        GgufValueType.Int64 => GgufValue.Of((long)c.ReadU64("value")),
        GgufValueType.Float64 => GgufValue.Of(BitConverter.UInt64BitsToDouble(c.ReadU64("value"))),
        GgufValueType.Array => ReadArray(ref c, depth),
        _ => throw c.Error($"unknown value type id {(uint)type}"),
    };

    private static bool ReadBool(ref GgufCursor c)
    {
        byte b = c.ReadU8("bool value");
        return b <= 1 ? b == 1 : throw c.Error($"bool value is {b}, expected 0 or 1");
    }

    private static GgufValue ReadArray(ref GgufCursor c, int depth)
    {
        if (depth >= MaxArrayNesting)
            throw c.Error($"arrays nested deeper than {MaxArrayNesting} levels");
        var elementType = ReadValueType(ref c, "array element type");
        ulong count = c.ReadU64("array length");
        // Smallest possible encoding of one element: strings need their length, nested arrays their type and length.
        int minElementBytes = elementType switch
        {
            GgufValueType.String => 8,
            GgufValueType.Array => 12,
            _ => GgufValue.ScalarSize(elementType),
        };
        if (count > (ulong)(c.Remaining / minElementBytes) || count > int.MaxValue)
            throw c.Error($"array length {count} of {elementType} cannot fit in the {c.Remaining} bytes left");
        int n = (int)count;
        return elementType switch
        {
            GgufValueType.UInt8 => GgufValue.Of(ReadScalars<byte>(ref c, n)),
            GgufValueType.Int8 => GgufValue.Of(ReadScalars<sbyte>(ref c, n)),
            GgufValueType.UInt16 => GgufValue.Of(ReadScalars<ushort>(ref c, n)),
            GgufValueType.Int16 => GgufValue.Of(ReadScalars<short>(ref c, n)),
            GgufValueType.UInt32 => GgufValue.Of(ReadScalars<uint>(ref c, n)),
            GgufValueType.Int32 => GgufValue.Of(ReadScalars<int>(ref c, n)),
            GgufValueType.Float32 => GgufValue.Of(ReadScalars<float>(ref c, n)),
            GgufValueType.UInt64 => GgufValue.Of(ReadScalars<ulong>(ref c, n)),
            GgufValueType.Int64 => GgufValue.Of(ReadScalars<long>(ref c, n)),
            GgufValueType.Float64 => GgufValue.Of(ReadScalars<double>(ref c, n)),
            GgufValueType.Bool => GgufValue.Of(ReadBools(ref c, n)),
            GgufValueType.String => GgufValue.Of(ReadStrings(ref c, n)),
            _ => GgufValue.Of(ReadNestedArrays(ref c, n, depth)),
        };
    }

    /// <summary>Bulk copy of little-endian scalars (the host is little-endian; <see cref="GgufFile.Open"/> checks).</summary>
    private static T[] ReadScalars<T>(ref GgufCursor c, int n) where T : unmanaged
    {
        long bytes = (long)n * sizeof(T);
        c.Require(bytes, $"{n} array values");
        return MemoryMarshal.Cast<byte, T>(c.ReadBytes((int)bytes, "array values")).ToArray();
    }

    private static bool[] ReadBools(ref GgufCursor c, int n)
    {
        var result = new bool[n];
        for (int i = 0; i < n; i++)
            result[i] = ReadBool(ref c);
        return result;
    }

    private static string[] ReadStrings(ref GgufCursor c, int n)
    {
        var result = new string[n];
        for (int i = 0; i < n; i++)
            result[i] = c.ReadString("array string");
        return result;
    }

    private static GgufValue[] ReadNestedArrays(ref GgufCursor c, int n, int depth)
    {
        var result = new GgufValue[n];
        for (int i = 0; i < n; i++)
            result[i] = ReadArray(ref c, depth + 1);
        return result;
    }

    private static long ReadAlignment(GgufMetadata metadata)
    {
        if (!metadata.TryGetValue(AlignmentKey, out var v))
            return DefaultAlignment;
        if (!GgufValue.IsInteger(v.Type))
            throw new GgufFormatException($"metadata key '{AlignmentKey}' is {v.Type}, expected an integer");
        long a = metadata.GetInt64(AlignmentKey);
        if (a <= 0 || a > MaxAlignment || !BitOperations.IsPow2(a))
            throw new GgufFormatException($"metadata key '{AlignmentKey}' is {a}, expected a power of two between 1 and {MaxAlignment}");
        return a;
    }

    private static List<GgufTensorInfo> ReadTensorInfos(ref GgufCursor c, int count, long alignment)
    {
        var tensors = new List<GgufTensorInfo>(count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            c.Context = $"tensor #{i}";
            string name = c.ReadString("name");
            c.Context = $"tensor '{GgufCursor.Printable(name)}'";
            if (!names.Add(name))
                throw c.Error("duplicate tensor name");
            tensors.Add(ReadTensorInfo(ref c, name, alignment));
        }
        return tensors;
    }

    private static GgufTensorInfo ReadTensorInfo(ref GgufCursor c, string name, long alignment)
    {
        uint nDims = c.ReadU32("n_dims");
        if (nDims is 0 or > MaxDims)
            throw c.Error($"n_dims is {nDims}, expected 1 to {MaxDims}");
        var dims = new long[nDims];
        long elements = 1;
        for (int d = 0; d < dims.Length; d++)
        {
            ulong ne = c.ReadU64($"ne[{d}]");
            if (ne == 0 || ne > long.MaxValue)
                throw c.Error($"ne[{d}] is {ne}, expected a positive size");
            dims[d] = (long)ne;
            elements = MultiplyOrFail(ref c, elements, dims[d], "element count");
        }
        uint typeId = c.ReadU32("type");
        var info = typeId <= int.MaxValue ? QuantTypeInfo.TryGet((QuantType)typeId) : null;
        if (info is not { } qi)
            throw c.Error($"unknown tensor type id {typeId}");
        if (dims[0] % qi.BlockSize != 0)
            throw c.Error($"ne[0] = {dims[0]} is not a multiple of the {qi.Name} block size {qi.BlockSize}");
        long rowBytes = MultiplyOrFail(ref c, dims[0] / qi.BlockSize, qi.BlockBytes, "row size");
        long byteLength = MultiplyOrFail(ref c, rowBytes, elements / dims[0], "byte size");
        ulong offset = c.ReadU64("data offset");
        if (offset > long.MaxValue)
            throw c.Error($"data offset {offset} is past the end of any file");
        if ((long)offset % alignment != 0)
            throw c.Error($"data offset {offset} is not a multiple of the alignment {alignment}");
        return new GgufTensorInfo(name, qi.Type, dims, elements, byteLength, (long)offset);
    }

    private static long MultiplyOrFail(ref GgufCursor c, long a, long b, string what)
    {
        try
        {
            return checked(a * b);
        }
        catch (OverflowException)
        {
            throw c.Error($"{what} overflows ({a} x {b})");
        }
    }

    /// <summary>Each tensor must lie inside the data section and no two may share bytes.</summary>
    private static void ValidateDataRanges(List<GgufTensorInfo> tensors, long dataBytes)
    {
        foreach (var t in tensors)
        {
            if (t.Offset > dataBytes || t.ByteLength > dataBytes - t.Offset)
                throw new GgufFormatException(
                    $"tensor '{GgufCursor.Printable(t.Name)}': data [{t.Offset}, +{t.ByteLength}) runs past the end of the file (data section has {Math.Max(dataBytes, 0)} bytes)");
        }
        var byOffset = tensors.OrderBy(t => t.Offset).ToList();
        for (int i = 1; i < byOffset.Count; i++)
        {
            var prev = byOffset[i - 1];
            if (prev.Offset + prev.ByteLength > byOffset[i].Offset)
                throw new GgufFormatException(
                    $"tensor '{GgufCursor.Printable(byOffset[i].Name)}' overlaps tensor '{GgufCursor.Printable(prev.Name)}' in the data section");
        }
    }
}
