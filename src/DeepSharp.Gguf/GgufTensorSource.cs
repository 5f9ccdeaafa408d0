using DeepSharp.Core.Quant;

namespace DeepSharp.Gguf;

/// <summary>Produces a tensor's bytes when the writer reaches it (so mapped or generated data is not copied up front).</summary>
public delegate ReadOnlySpan<byte> GgufTensorBytes();

/// <summary>A tensor to write with <see cref="GgufWriter.Write(Stream, IEnumerable{KeyValuePair{string, GgufValue}}, IEnumerable{GgufTensorSource}, uint)"/>.</summary>
public sealed class GgufTensorSource
{
    public GgufTensorSource(string name, QuantType type, long[] dims, GgufTensorBytes data)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Type = type;
        Dims = dims ?? throw new ArgumentNullException(nameof(dims));
        Data = data ?? throw new ArgumentNullException(nameof(data));
    }

    public string Name { get; }

    public QuantType Type { get; }

#pragma warning disable CA1819 // a shape, as in GgufTensorInfo
    public long[] Dims { get; }
#pragma warning restore CA1819

    public GgufTensorBytes Data { get; }

    /// <summary>A tensor whose bytes are already in memory.</summary>
    public static GgufTensorSource FromBytes(string name, QuantType type, long[] dims, ReadOnlyMemory<byte> bytes) =>
        new(name, type, dims, () => bytes.Span);

    /// <summary>A tensor copied unchanged from an open GGUF file (read from its mapping while writing).</summary>
    public static GgufTensorSource FromFile(GgufFile file, GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(tensor);
        return new(tensor.Name, tensor.Type, (long[])tensor.Dims.Clone(), () => file.GetTensorBytes(tensor));
    }
}
