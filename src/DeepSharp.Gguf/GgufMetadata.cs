using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace DeepSharp.Gguf;

/// <summary>
/// The key/value metadata of a GGUF file, in file order. Typed accessors throw <see cref="GgufFormatException"/> naming
/// the key when it is missing or holds a value of the wrong type or out of range.
/// </summary>
#pragma warning disable CA1710 // the name is fixed by the cross-project API contract
public sealed class GgufMetadata : IReadOnlyDictionary<string, GgufValue>
{
#pragma warning restore CA1710
    private readonly List<KeyValuePair<string, GgufValue>> _ordered;
    private readonly Dictionary<string, GgufValue> _byKey;

    /// <summary>Builds metadata from pairs in order; a repeated key is an <see cref="ArgumentException"/>.</summary>
    public GgufMetadata(IEnumerable<KeyValuePair<string, GgufValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _ordered = [];
        _byKey = new Dictionary<string, GgufValue>(StringComparer.Ordinal);
        foreach (var kv in entries)
        {
            ArgumentNullException.ThrowIfNull(kv.Value);
            if (!_byKey.TryAdd(kv.Key, kv.Value))
                throw new ArgumentException($"duplicate metadata key '{kv.Key}'", nameof(entries));
            _ordered.Add(kv);
        }
    }

    public int Count => _ordered.Count;
    public IEnumerable<string> Keys => _ordered.Select(kv => kv.Key);
    public IEnumerable<GgufValue> Values => _ordered.Select(kv => kv.Value);
    public GgufValue this[string key] => Get(key);
    public bool ContainsKey(string key) => _byKey.ContainsKey(key);
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out GgufValue value) => _byKey.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, GgufValue>> GetEnumerator() => _ordered.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The value of <paramref name="key"/>; <see cref="GgufFormatException"/> if missing.</summary>
    public GgufValue Get(string key) =>
        _byKey.TryGetValue(key, out var v) ? v : throw new GgufFormatException($"metadata key '{key}' is missing");

    public string GetString(string key) => (string)Expect(key, GgufValueType.String).Raw;

    public string? GetStringOrNull(string key) => ContainsKey(key) ? GetString(key) : null;

    /// <summary>Any integer type, as long (a u64 above long.MaxValue is an error).</summary>
    public long GetInt64(string key) => ToInt64(key, Get(key));

    public long GetInt64OrDefault(string key, long dflt) => ContainsKey(key) ? GetInt64(key) : dflt;

    public uint GetUInt32(string key)
    {
        long v = GetInt64(key);
        return v is >= 0 and <= uint.MaxValue ? (uint)v : throw OutOfRange(key, v, "uint32");
    }

    public int GetInt32(string key)
    {
        long v = GetInt64(key);
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw OutOfRange(key, v, "int32");
    }

    /// <summary>A float32 or float64 value, as float.</summary>
    public float GetFloat(string key)
    {
        var v = Get(key);
        return v.Type switch
        {
            GgufValueType.Float32 => (float)v.Raw,
            GgufValueType.Float64 => (float)(double)v.Raw,
            _ => throw WrongType(key, v, "float32 or float64"),
        };
    }

    public float GetFloatOrDefault(string key, float dflt) => ContainsKey(key) ? GetFloat(key) : dflt;

    public bool GetBool(string key) => (bool)Expect(key, GgufValueType.Bool).Raw;

    public bool GetBoolOrDefault(string key, bool dflt) => ContainsKey(key) ? GetBool(key) : dflt;

    public string[] GetStringArray(string key) => (string[])ExpectArray(key, GgufValueType.String).Raw;

    /// <summary>A float32 array (returned as stored) or a float64 array (converted).</summary>
    public float[] GetFloatArray(string key)
    {
        var v = Get(key);
        return v.Type != GgufValueType.Array ? throw WrongType(key, v, "array of float32")
            : v.Raw switch
            {
                float[] f => f,
                double[] d => Array.ConvertAll(d, x => (float)x),
                _ => throw WrongType(key, v, "array of float32"),
            };
    }

    /// <summary>An array of any integer element type, range-checked into int.</summary>
    public int[] GetInt32Array(string key)
    {
        var v = Get(key);
        if (v.Type != GgufValueType.Array || !GgufValue.IsInteger(v.ElementType))
            throw WrongType(key, v, "array of integers");
        if (v.Raw is int[] ints)
            return ints;
        var src = (Array)v.Raw;
        var result = new int[src.Length];
        for (int i = 0; i < result.Length; i++)
        {
            long x = ElementToInt64(key, src.GetValue(i)!);
            result[i] = x is >= int.MinValue and <= int.MaxValue ? (int)x : throw OutOfRange($"{key}[{i}]", x, "int32");
        }
        return result;
    }

    private GgufValue Expect(string key, GgufValueType type)
    {
        var v = Get(key);
        return v.Type == type ? v : throw WrongType(key, v, type.ToString());
    }

    private GgufValue ExpectArray(string key, GgufValueType elementType)
    {
        var v = Get(key);
        return v.Type == GgufValueType.Array && v.ElementType == elementType ? v : throw WrongType(key, v, $"array of {elementType}");
    }

    private static long ToInt64(string key, GgufValue v) =>
        GgufValue.IsInteger(v.Type) ? ElementToInt64(key, v.Raw) : throw WrongType(key, v, "an integer");

    private static long ElementToInt64(string key, object raw) => raw switch
    {
        byte b => b,
        sbyte sb => sb,
        ushort us => us,
        short s => s,
        uint ui => ui,
        int i => i,
        long l => l,
        ulong ul => ul <= long.MaxValue ? (long)ul : throw OutOfRange(key, ul, "int64"),
        _ => throw new GgufFormatException($"metadata key '{key}': {raw.GetType().Name} is not an integer"),
    };

    private static GgufFormatException WrongType(string key, GgufValue v, string expected)
    {
        string actual = v.Type == GgufValueType.Array ? $"array of {v.ElementType}" : v.Type.ToString();
        return new GgufFormatException($"metadata key '{key}' is {actual}, expected {expected}");
    }

    private static GgufFormatException OutOfRange(string key, object value, string target) =>
        new($"metadata key '{key}' value {value} does not fit in {target}");
}
