using System.Numerics;
using System.Text;
using DeepSharp.Core.Quant;

namespace DeepSharp.Gguf;

/// <summary>
/// Streams a GGUF file (v3 by default, as llama.cpp writes it): add metadata and tensor infos, call
/// <see cref="WriteHeader"/>, then write every tensor's bytes in declaration order and call <see cref="Finish"/>.
/// Each tensor starts at an aligned offset; padding is zero bytes. The output stream need not be seekable.
/// </summary>
public sealed class GgufWriter
{
    /// <summary>llama.cpp keeps tensor names in a 64-byte buffer with a terminating NUL.</summary>
    public const int MaxTensorNameBytes = 63;

    private readonly Stream _output;
    private readonly uint _version;
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);
    private long _alignment = GgufHeaderParser.DefaultAlignment;
    private long _dataSize;          // bytes of the data section declared so far (aligned per tensor)
    private bool _headerWritten;
    private bool _finished;
    private int _currentTensor;      // index of the tensor receiving data
    private long _currentWritten;    // bytes of it written so far

    public GgufWriter(Stream output, uint version = 3)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (version is not (2 or 3))
            throw new ArgumentOutOfRangeException(nameof(version), version, "GGUF writer supports versions 2 and 3");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("GGUF writing needs a little-endian machine");
        _output = output;
        _version = version;
    }

    /// <summary>Sets the data alignment and records it as <c>general.alignment</c> (u32).</summary>
    public void SetAlignment(int alignment)
    {
        CheckBeforeHeader();
        if (alignment <= 0 || !BitOperations.IsPow2(alignment))
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "alignment must be a positive power of two");
        if (_tensors.Count > 0)
            throw new InvalidOperationException("set the alignment before adding tensor infos");
        _alignment = alignment;
        int i = _metadata.FindIndex(kv => kv.Key == GgufHeaderParser.AlignmentKey);
        var entry = new KeyValuePair<string, GgufValue>(GgufHeaderParser.AlignmentKey, GgufValue.Of((uint)alignment));
        if (i >= 0)
            _metadata[i] = entry;
        else
            _metadata.Add(entry);
    }

    /// <summary>Adds a metadata entry (any type, arrays of arrays included); a repeated key is an error.</summary>
    public void Add(string key, GgufValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        CheckBeforeHeader();
        if (_metadata.Exists(kv => kv.Key == key))
            throw new ArgumentException($"metadata key '{key}' was already added", nameof(key));
        if (key == GgufHeaderParser.AlignmentKey)
        {
            if (!GgufValue.IsInteger(value.Type))
                throw new ArgumentException($"'{key}' must be an integer", nameof(value));
            long a = new GgufMetadata([new(key, value)]).GetInt64(key);
            if (a is <= 0 or > int.MaxValue || !BitOperations.IsPow2(a))
                throw new ArgumentOutOfRangeException(nameof(value), a, "alignment must be a positive power of two");
            if (_tensors.Count > 0)
                throw new InvalidOperationException("set the alignment before adding tensor infos");
            _alignment = a;
        }
        _metadata.Add(new(key, value));
    }

    public void Add(string key, string value) => Add(key, GgufValue.Of(value));
    public void Add(string key, byte value) => Add(key, GgufValue.Of(value));
    public void Add(string key, sbyte value) => Add(key, GgufValue.Of(value));
    public void Add(string key, ushort value) => Add(key, GgufValue.Of(value));
    public void Add(string key, short value) => Add(key, GgufValue.Of(value));
    public void Add(string key, uint value) => Add(key, GgufValue.Of(value));
    public void Add(string key, int value) => Add(key, GgufValue.Of(value));
    public void Add(string key, float value) => Add(key, GgufValue.Of(value));
    public void Add(string key, bool value) => Add(key, GgufValue.Of(value));
    public void Add(string key, ulong value) => Add(key, GgufValue.Of(value));
    public void Add(string key, long value) => Add(key, GgufValue.Of(value));
    public void Add(string key, double value) => Add(key, GgufValue.Of(value));
    public void Add(string key, string[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, byte[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, sbyte[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, ushort[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, short[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, uint[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, int[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, float[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, bool[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, ulong[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, long[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, double[] value) => Add(key, GgufValue.Of(value));
    public void Add(string key, GgufValue[] arrays) => Add(key, GgufValue.Of(arrays));

    /// <summary>Declares the next tensor: dims ne0 first; its data comes later, in declaration order.</summary>
    public void AddTensorInfo(string name, QuantType type, long[] dims)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dims);
        CheckBeforeHeader();
        if (Encoding.UTF8.GetByteCount(name) > MaxTensorNameBytes)
            throw new ArgumentException($"tensor name '{name}' is longer than {MaxTensorNameBytes} bytes", nameof(name));
        if (!_tensorNames.Add(name))
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        long byteLength = TensorByteLength(name, type, dims);
        _tensors.Add(new PendingTensor(name, type, (long[])dims.Clone(), byteLength, _dataSize));
        _dataSize = checked(_dataSize + Align(byteLength));
    }

    /// <summary>Writes magic, version, counts, metadata and tensor infos, padded to the alignment when tensors follow.</summary>
    public void WriteHeader()
    {
        CheckBeforeHeader();
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(GgufHeaderParser.Magic);
            w.Write(_version);
            w.Write((ulong)_tensors.Count);
            w.Write((ulong)_metadata.Count);
            foreach (var (key, value) in _metadata)
            {
                GgufValueWriter.WriteString(w, key);
                w.Write((uint)value.Type);
                GgufValueWriter.WriteValue(w, value);
            }
            foreach (var t in _tensors)
                WriteTensorInfo(w, t);
        }
        // Like llama.cpp's vocab-only files, a file without tensors ends right after the header (no data section).
        if (_tensors.Count > 0)
            WritePadding(buffer, buffer.Length);
        buffer.Position = 0;
        buffer.CopyTo(_output);
        _headerWritten = true;
    }

    /// <summary>
    /// Writes bytes of the current tensor. One call per tensor is usual; a large tensor may come in several calls.
    /// When a tensor is complete it is padded to the alignment and the next one begins.
    /// </summary>
    public void WriteTensorData(ReadOnlySpan<byte> data)
    {
        if (!_headerWritten)
            throw new InvalidOperationException("write the header before tensor data");
        if (_currentTensor >= _tensors.Count)
            throw new InvalidOperationException("all declared tensors have been written");
        var t = _tensors[_currentTensor];
        if (data.Length > t.ByteLength - _currentWritten)
            throw new ArgumentException($"tensor '{t.Name}' expects {t.ByteLength - _currentWritten} more bytes, got {data.Length}", nameof(data));
        _output.Write(data);
        _currentWritten += data.Length;
        if (_currentWritten == t.ByteLength)
        {
            WritePadding(_output, t.ByteLength);
            _currentTensor++;
            _currentWritten = 0;
        }
    }

    /// <summary>Checks that every tensor was written and flushes (the stream is left open).</summary>
    public void Finish()
    {
        if (!_headerWritten)
            WriteHeader();
        if (_currentTensor < _tensors.Count)
            throw new InvalidOperationException($"tensor '{_tensors[_currentTensor].Name}' and {_tensors.Count - _currentTensor - 1} more have no data yet");
        _finished = true;
        _output.Flush();
    }

    /// <summary>Writes a whole GGUF file from metadata (in order) and tensors (data pulled in order).</summary>
    public static void Write(Stream output, IEnumerable<KeyValuePair<string, GgufValue>> metadata, IEnumerable<GgufTensorSource> tensors, uint version = 3)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(tensors);
        var writer = new GgufWriter(output, version);
        var list = tensors.ToList();
        foreach (var (key, value) in metadata)
            writer.Add(key, value);
        foreach (var t in list)
            writer.AddTensorInfo(t.Name, t.Type, t.Dims);
        writer.WriteHeader();
        foreach (var t in list)
            writer.WriteTensorData(t.Data());
        writer.Finish();
    }

    /// <summary>Writes a whole GGUF file to <paramref name="path"/> (created or overwritten).</summary>
    public static void WriteFile(string path, IEnumerable<KeyValuePair<string, GgufValue>> metadata, IEnumerable<GgufTensorSource> tensors, uint version = 3)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(stream, metadata, tensors, version);
    }

    /// <summary>Copies an open GGUF file: all metadata in order, all tensors unchanged.</summary>
    public static void CopyFile(GgufFile source, string path)
    {
        ArgumentNullException.ThrowIfNull(source);
        WriteFile(path, source.Metadata, source.Tensors.Select(t => GgufTensorSource.FromFile(source, t)), source.Version);
    }

    private static long TensorByteLength(string name, QuantType type, long[] dims)
    {
        if (dims.Length is 0 or > GgufHeaderParser.MaxDims)
            throw new ArgumentException($"tensor '{name}' has {dims.Length} dims, expected 1 to {GgufHeaderParser.MaxDims}", nameof(dims));
        if (Array.Exists(dims, d => d <= 0))
            throw new ArgumentException($"tensor '{name}' has a dimension <= 0", nameof(dims));
        var info = QuantTypeInfo.TryGet(type) ?? throw new ArgumentException($"tensor '{name}' has unknown type {(int)type}", nameof(type));
        if (dims[0] % info.BlockSize != 0)
            throw new ArgumentException($"tensor '{name}': ne[0] = {dims[0]} is not a multiple of the {info.Name} block size {info.BlockSize}", nameof(dims));
        long rows = dims.Skip(1).Aggregate(1L, (a, b) => checked(a * b));
        return checked(info.RowBytes(dims[0]) * rows);
    }

    private static void WriteTensorInfo(BinaryWriter w, PendingTensor t)
    {
        GgufValueWriter.WriteString(w, t.Name);
        w.Write((uint)t.Dims.Length);
        foreach (long d in t.Dims)
            w.Write((ulong)d);
        w.Write((uint)t.Type);
        w.Write((ulong)t.Offset);
    }

    private long Align(long n) => (n + _alignment - 1) / _alignment * _alignment;

    private void WritePadding(Stream s, long writtenSoFar)
    {
        long pad = Align(writtenSoFar) - writtenSoFar;
        if (pad > 0)
            s.Write(new byte[pad]);
    }

    private void CheckBeforeHeader()
    {
        if (_headerWritten || _finished)
            throw new InvalidOperationException("the header has already been written");
    }

    private sealed record PendingTensor(string Name, QuantType Type, long[] Dims, long ByteLength, long Offset);
}
