using DeepSharp.Core.Quant;

namespace DeepSharp.Gguf;

/// <summary>One entry of a GGUF tensor directory. Validated when the file is opened.</summary>
public sealed class GgufTensorInfo
{
    internal GgufTensorInfo(string name, QuantType type, long[] dims, long elementCount, long byteLength, long offset)
    {
        Name = name;
        Type = type;
        Dims = dims;
        ElementCount = elementCount;
        ByteLength = byteLength;
        Offset = offset;
    }

    /// <summary>The GGUF tensor name, e.g. <c>blk.0.attn_q.weight</c>.</summary>
    public string Name { get; }

    /// <summary>Element storage type (ggml type id).</summary>
    public QuantType Type { get; }

    /// <summary>Dimensions, ne0 first: ne0 is the innermost (contiguous, row length) dimension.</summary>
#pragma warning disable CA1819 // a small copy-free shape array is the natural form; callers must not mutate it
    public long[] Dims { get; }
#pragma warning restore CA1819

    /// <summary>Product of all dimensions.</summary>
    public long ElementCount { get; }

    /// <summary>Bytes of tensor data (whole quant blocks).</summary>
    public long ByteLength { get; }

    /// <summary>Offset of the data relative to the start of the data section.</summary>
    public long Offset { get; }

    /// <summary>Row length: elements in ne0.</summary>
    public long RowLength => Dims[0];

    /// <summary>Number of rows: product of all dimensions but ne0.</summary>
    public long RowCount => ElementCount / Dims[0];

    /// <summary>Bytes of one row (ne0 elements).</summary>
    public long RowByteLength => ByteLength / RowCount;

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dims)}] @{Offset} ({ByteLength} bytes)";
}
