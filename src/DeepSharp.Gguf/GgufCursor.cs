using System.Buffers.Binary;
using System.Text;

namespace DeepSharp.Gguf;

/// <summary>
/// Bounds-checked little-endian reads over a block of (mapped) memory. Every read checks the remaining length first,
/// so a truncated or hostile file ends in a <see cref="GgufFormatException"/> that names <see cref="Context"/>
/// (the key or tensor being read), never in an access violation.
/// </summary>
internal unsafe struct GgufCursor
{
    private readonly byte* _base;
    private readonly long _length;

    public GgufCursor(byte* start, long length)
    {
        _base = start;
        _length = length;
        Position = 0;
        Context = "header";
    }

    /// <summary>Offset of the next read from the start of the file.</summary>
    public long Position { get; private set; }

    /// <summary>What is being read, for error messages ("metadata key 'x'", "tensor 'y'").</summary>
    public string Context { get; set; }

    public readonly long Remaining => _length - Position;

    public readonly GgufFormatException Error(string what) => new($"{Context}: {what} (at byte {Position})");

    /// <summary>Throws unless <paramref name="count"/> more bytes are available for <paramref name="what"/>.</summary>
    public readonly void Require(long count, string what)
    {
        if (count < 0 || count > Remaining)
            throw Error($"{what} needs {(ulong)count} bytes but only {Remaining} remain (file truncated or length corrupt)");
    }

    public byte ReadU8(string what) => *Take(1, what);

    public uint ReadU32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(Take(4, what), 4));

    public ulong ReadU64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(Take(8, what), 8));

    /// <summary>The next <paramref name="count"/> raw bytes (count already validated by <see cref="Require"/> or small).</summary>
    public ReadOnlySpan<byte> ReadBytes(int count, string what) => new(Take(count, what), count);

    /// <summary>A GGUF string: u64 byte length then UTF-8 bytes. The length is checked before anything is allocated.</summary>
    public string ReadString(string what)
    {
        ulong len = ReadU64(what); // no string building on the success path: vocabularies hold 100k+ strings
        if (len > (ulong)Remaining)
            throw Error($"{what} length {len} exceeds the {Remaining} bytes left in the file");
        if (len > int.MaxValue)
            throw Error($"{what} length {len} is too large");
        // Invalid UTF-8 becomes U+FFFD rather than an error: a vocabulary may hold a broken piece and is still usable.
        return Encoding.UTF8.GetString(ReadBytes((int)len, what));
    }

    /// <summary>A key or tensor name made safe for an error message: control characters escaped, long names cut.</summary>
    public static string Printable(string name)
    {
        const int MaxChars = 96;
        var sb = new StringBuilder(Math.Min(name.Length, MaxChars) + 8);
        foreach (char ch in name.AsSpan(0, Math.Min(name.Length, MaxChars)))
        {
            if (char.IsControl(ch))
                sb.Append($"\\x{(int)ch:x2}");
            else
                sb.Append(ch);
        }
        if (name.Length > MaxChars)
            sb.Append($"... ({name.Length} chars)");
        return sb.ToString();
    }

    /// <summary>Skips zero padding up to the next multiple of <paramref name="alignment"/>.</summary>
    public void AlignTo(long alignment) => Position = checked((Position + alignment - 1) / alignment * alignment);

    private byte* Take(long count, string what)
    {
        Require(count, what);
        byte* p = _base + Position;
        Position += count;
        return p;
    }
}
