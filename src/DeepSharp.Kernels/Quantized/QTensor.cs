using DeepSharp.Core.Quant;
using DeepSharp.Gguf;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// A weight tensor left in its stored (possibly quantized) form in memory we do not own — normally the GGUF
/// mapping. Rows are ne0 elements (<see cref="Cols"/>); all higher dimensions are flattened into <see cref="Rows"/>.
/// The memory must outlive this object (Model keeps the GgufFile open).
/// </summary>
public sealed unsafe class QTensor
{
    private byte* _data;   // the mapping's bytes, or once PrepareForMatMul copied them, _resident's
    private StreamedBuffer? _resident;
    private readonly (string Path, long Offset)? _file;   // where FromGguf found the bytes, to read them unmapped
    private readonly Lock _packing = new();

    public QTensor(string name, QuantType type, long[] dims, nint data, long byteLength)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentOutOfRangeException.ThrowIfZero(dims.Length);
        Name = name;
        Type = type;
        Dims = (long[])dims.Clone();
        Cols = checked((int)dims[0]);
        long rows = 1;
        for (int i = 1; i < dims.Length; i++) rows = checked(rows * dims[i]);
        Rows = rows;
        RowBytes = QuantTypeInfo.Get(type).RowBytes(Cols);
        if (checked(RowBytes * Rows) > byteLength)
            throw new ArgumentException($"tensor '{name}': {Rows} rows of {RowBytes} bytes exceed its {byteLength}-byte buffer", nameof(byteLength));
        _data = (byte*)data;
        LlamaRepacked = IntegerDot.LlamaRepacks(type, Rows);
    }

    /// <summary>Maps a GGUF tensor without copying it.</summary>
    public static QTensor FromGguf(GgufFile file, GgufTensorInfo info)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(info);
        return new QTensor(info.Name, info.Type, info.Dims, (nint)file.GetDataPointer(info), info.ByteLength,
            (file.Path, file.DataOffset + info.Offset));
    }

    private QTensor(string name, QuantType type, long[] dims, nint data, long byteLength, (string, long) file)
        : this(name, type, dims, data, byteLength) => _file = file;

    public string Name { get; }
    public QuantType Type { get; }
    /// <summary>GGUF dims, ne0 first.</summary>
    public IReadOnlyList<long> Dims { get; }
    /// <summary>Elements per row (ne0).</summary>
    public int Cols { get; }
    public long Rows { get; }
    public long RowBytes { get; }

    /// <summary>
    /// Whether llama.cpp's CPU backend repacks this matrix (and so sums its rows in its repacked order, see
    /// <see cref="IntegerDot.LlamaRepacks"/>). A view keeps its source's answer: llama.cpp decides per stored tensor,
    /// and it never repacks 3-D weights it multiplies with plain MUL_MAT (deepseek2's per-head attn_k_b/attn_v_b).
    /// </summary>
    public bool LlamaRepacked { get; init; }

    /// <summary>The 8-row interleaved copy <see cref="PrepareForMatMul"/> built, if any.</summary>
    internal Rows8Pack? Packed { get; private set; }

    /// <summary>A view's share of its source's packed copy (see <see cref="QTensorViews.RowRange"/>).</summary>
    internal void SharePack(Rows8Pack slice)
    {
        lock (_packing) Packed ??= slice;
    }

    /// <summary>
    /// Builds, once, the layout the matrix product is fastest on, where there is one: for the Q4_0/Q4_K matrices
    /// llama.cpp repacks (<see cref="LlamaRepacked"/>), 8 interleaved rows, on the x86 paths
    /// that use it (AVX2, AVX-512); for Q8_0 and Q5_0 matrices, 8 rows' blocks side by side (AVX2, AVX-512). Call at load, for
    /// matrices used in products only. A tensor read from a GGUF file is read through the file rather than the
    /// mapping, so its mapped pages never become resident: memory holds the packed copy (the file's size for every packed
    /// type) instead of the file's bytes, not both. A file's matrix that no packed layout takes (Q6_K, Q5_K, F16, ...) is
    /// copied as it is into streamed memory, the same way: the mapping's pages are 4 KiB ones, which a product streams
    /// more slowly (see <see cref="StreamedMemory"/>); since the copies share 2 MiB pages (<see cref="StreamedArena"/>),
    /// small matrices are copied too (before, only those of 2 MiB or more). Returns whether a packed copy exists.
    /// </summary>
    public bool PrepareForMatMul()
    {
        lock (_packing)
        {
            if (Packed is null && Rows8Pack.Handles(Type, Rows) && PacksOn(KernelIsaSelection.Current))
                Packed = Rows8Pack.Build(Type, Cols, Rows, RowBytes, ReadRows);
            if (Packed is null && _resident is null && _file is not null)
                CopyToStreamedMemory();
            return Packed is not null;
        }
    }

    // _data ← a copy of the rows in streamed memory, read through the file (8 MiB at a time) so that the mapping's
    // pages never become resident.
    private void CopyToStreamedMemory()
    {
        var copy = new StreamedBuffer(Rows * RowBytes);
        long rowsPerRead = Math.Max(1, (8L << 20) / RowBytes);
        for (long r = 0; r < Rows; r += rowsPerRead)
        {
            long n = Math.Min(rowsPerRead, Rows - r);
            ReadRows(r, new Span<byte>(copy.Data + r * RowBytes, checked((int)(n * RowBytes))));
        }
        _resident = copy;
        _data = copy.Data;
    }

    // Q4_0/Q4_K where llama.cpp repacks them (their products follow its repacked sums); Q8_0 and Q5_0 (vec_dot's sums,
    // in IntegerTiles' kernels): on AVX2 and AVX-512, where those kernels run.
    private bool PacksOn(KernelIsa isa) => isa >= KernelIsa.Avx2 && (LlamaRepacked || Type is QuantType.Q8_0 or QuantType.Q5_0);

    // dst ← the stored bytes of rows firstRow.. (dst.Length / RowBytes of them).
    private void ReadRows(long firstRow, Span<byte> dst)
    {
        if (_file is not { } f)
        {
            new ReadOnlySpan<byte>(_data + firstRow * RowBytes, dst.Length).CopyTo(dst);
            return;
        }
        using var handle = File.OpenHandle(f.Path);
        long at = f.Offset + firstRow * RowBytes;
        for (int done = 0; done < dst.Length;)
        {
            int n = RandomAccess.Read(handle, dst[done..], at + done);
            if (n <= 0) throw new EndOfStreamException($"tensor '{Name}': file '{f.Path}' ended early");
            done += n;
        }
    }

    /// <summary>
    /// The memory one token's product with this matrix reads: the packed copy <see cref="PrepareForMatMul"/> built,
    /// else the stored (mapped) rows. For bandwidth studies: where the weights lie in physical memory changes how
    /// fast they can be read (on this project's VM, 24–34 GB/s between 512 MiB buffers of one process at 1 thread,
    /// each buffer the same from round to round), so a product is best compared with a plain read of these bytes.
    /// </summary>
    public (nint Address, long Length) ProductMemory =>
        Packed is { } p ? ((nint)p.Block(0, 0), p.ByteLength) : ((nint)_data, Rows * RowBytes);

    /// <summary>The stored bytes of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<byte> Row(long row)
    {
        System.Diagnostics.Debug.Assert((ulong)row < (ulong)Rows);
        return new ReadOnlySpan<byte>(_data + row * RowBytes, (int)RowBytes);
    }

    /// <summary>dst [Cols] ← row <paramref name="row"/> as floats.</summary>
    public void DecodeRow(long row, Span<float> dst)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((ulong)row, (ulong)Rows, nameof(row));
        RowDecoder.Decode(Type, Row(row), dst[..Cols]);
    }

    /// <summary>All elements as floats; for the small 1-D tensors (norms, biases), never for matrices.</summary>
    public float[] ToFloatArray()
    {
        var all = new float[checked((int)(Rows * Cols))];
        for (long r = 0; r < Rows; r++) DecodeRow(r, all.AsSpan((int)(r * Cols), Cols));
        return all;
    }

    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Dims)}]";
}
