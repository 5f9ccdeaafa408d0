using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using DeepSharp.Core.Quant;

namespace DeepSharp.Gguf;

/// <summary>
/// A GGUF file opened read-only through a memory map. The header is parsed and validated on open; tensor data is
/// never copied: spans and pointers point into the mapping and stay valid until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;
    private byte* _base;
    private readonly long _length;

    private GgufFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* start, long length)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = start;
        _length = length;
        try
        {
            var header = GgufHeaderParser.Parse(start, length);
            Version = header.Version;
            Metadata = header.Metadata;
            Tensors = header.Tensors;
            Alignment = header.Alignment;
            DataOffset = header.DataOffset;
            _tensorsByName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>GGUF format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>Data alignment in bytes (<c>general.alignment</c>, default 32).</summary>
    public long Alignment { get; }

    /// <summary>File offset where the tensor data section starts.</summary>
    public long DataOffset { get; }

    /// <summary>File size in bytes.</summary>
    public long Length => _length;

    public string Path { get; }

    public GgufMetadata Metadata { get; }

    /// <summary>Tensor directory in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Opens and validates <paramref name="path"/>; <see cref="GgufFormatException"/> if it is not a sound GGUF file.</summary>
    public static GgufFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("GGUF reading needs a little-endian machine");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length == 0)
        {
            stream.Dispose();
            throw new GgufFormatException($"not a GGUF file: '{path}' is empty");
        }
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        bool pointerAcquired = false;
        try
        {
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            pointerAcquired = true;
            return new GgufFile(path, map, view, p + view.PointerOffset, length);
        }
        catch when (!pointerAcquired)
        {
            // After the pointer is acquired the constructor owns everything and disposes it on failure.
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.GetValueOrDefault(name);

    /// <summary>The tensor named <paramref name="name"/>; <see cref="GgufFormatException"/> if the file has none.</summary>
    public GgufTensorInfo GetTensorInfo(string name) =>
        FindTensor(name) ?? throw new GgufFormatException($"tensor '{name}' is missing from {System.IO.Path.GetFileName(Path)}");

    /// <summary>Start of the tensor's data inside the mapping; valid until <see cref="Dispose"/>.</summary>
    public byte* GetDataPointer(GgufTensorInfo t)
    {
        CheckOwned(t);
        return _base + DataOffset + t.Offset;
    }

    /// <summary>All bytes of a tensor smaller than 2 GiB (use <see cref="GetRowBytes"/> for larger ones).</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo t)
    {
        byte* p = GetDataPointer(t);
        if (t.ByteLength > int.MaxValue)
            throw new NotSupportedException($"tensor '{t.Name}' has {t.ByteLength} bytes, too many for one span; read it by rows");
        return new ReadOnlySpan<byte>(p, (int)t.ByteLength);
    }

    /// <summary>The bytes of row <paramref name="row"/> (ne0 elements) of a tensor of any size.</summary>
    public ReadOnlySpan<byte> GetRowBytes(GgufTensorInfo t, long row)
    {
        byte* p = GetDataPointer(t);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, t.RowCount);
        long rowBytes = t.RowByteLength;
        if (rowBytes > int.MaxValue)
            throw new NotSupportedException($"tensor '{t.Name}' rows have {rowBytes} bytes, too many for one span");
        return new ReadOnlySpan<byte>(p + row * rowBytes, (int)rowBytes);
    }

    /// <summary>
    /// The tensor data as <typeparamref name="T"/>: F32 as float, F16 as Half, I32 as int, and so on (the element size must
    /// match an unquantized type); any type may be read as byte, and quantized types as a block struct of the block size.
    /// </summary>
    public ReadOnlySpan<T> GetTensorSpan<T>(GgufTensorInfo t) where T : unmanaged
    {
        var bytes = GetTensorBytes(t);
        var info = QuantTypeInfo.Get(t.Type);
        bool fits = sizeof(T) == 1 && typeof(T) == typeof(byte) || sizeof(T) == info.BlockBytes;
        if (!fits)
            throw new ArgumentException($"tensor '{t.Name}' is {t.Type} ({info.BlockBytes} bytes per {(info.BlockSize == 1 ? "element" : "block")}); {typeof(T).Name} has {sizeof(T)} bytes");
        return MemoryMarshal.Cast<byte, T>(bytes);
    }

    public void Dispose()
    {
        if (_base != null)
        {
            _base = null;
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
        }
        _view?.Dispose();
        _map?.Dispose();
    }

    private void CheckOwned(GgufTensorInfo t)
    {
        ArgumentNullException.ThrowIfNull(t);
        ObjectDisposedException.ThrowIf(_base == null, this);
        if (!ReferenceEquals(FindTensor(t.Name), t))
            throw new ArgumentException($"tensor '{t.Name}' does not belong to {System.IO.Path.GetFileName(Path)}", nameof(t));
    }
}
