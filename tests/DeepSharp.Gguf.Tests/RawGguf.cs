using System.Text;

namespace DeepSharp.Gguf.Tests;

/// <summary>
/// Writes GGUF bytes field by field with no validation at all, so tests can build exactly the broken file they need
/// (wrong counts, bad type ids, hostile lengths).
/// </summary>
internal sealed class RawGguf
{
    private readonly List<byte> _bytes = [];

    /// <summary>Magic, version, tensor count, kv count.</summary>
    public static RawGguf Header(ulong tensors, ulong kvs, uint version = 3, uint magic = 0x46554747) =>
        new RawGguf().U32(magic).U32(version).U64(tensors).U64(kvs);

    public RawGguf U8(byte v) { _bytes.Add(v); return this; }
    public RawGguf U32(uint v) { _bytes.AddRange(BitConverter.GetBytes(v)); return this; }
    public RawGguf U64(ulong v) { _bytes.AddRange(BitConverter.GetBytes(v)); return this; }
    public RawGguf Str(string s) => Str(Encoding.UTF8.GetBytes(s));
    public RawGguf Str(byte[] utf8) { U64((ulong)utf8.Length); _bytes.AddRange(utf8); return this; }

    /// <summary>A key and its value type id; the caller writes the value.</summary>
    public RawGguf Key(string key, GgufValueType type) => Str(key).U32((uint)type);

    public RawGguf KvU32(string key, uint v) => Key(key, GgufValueType.UInt32).U32(v);

    /// <summary>A tensor info: name, n_dims, dims, type id, offset.</summary>
    public RawGguf Tensor(string name, ulong[] dims, uint type = 0, ulong offset = 0)
    {
        Str(name).U32((uint)dims.Length);
        foreach (ulong d in dims)
            U64(d);
        return U32(type).U64(offset);
    }

    /// <summary>Zero padding up to the next multiple of <paramref name="alignment"/>.</summary>
    public RawGguf Pad(int alignment = 32)
    {
        while (_bytes.Count % alignment != 0)
            _bytes.Add(0);
        return this;
    }

    public RawGguf Zeros(int n) { _bytes.AddRange(new byte[n]); return this; }

    public byte[] ToArray() => [.. _bytes];
}
