using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSharp.Chat.Jinja;

/// <summary>
/// JSON in and out of the value model. Output mirrors what Hugging Face's apply_chat_template installs as the
/// <c>tojson</c> filter: Python's <c>json.dumps(x, ensure_ascii=False, indent=indent, sort_keys=...)</c>, so items
/// are separated by ", " and keys by ": " without indent, and by "," plus newline with indent.
/// </summary>
internal static class Json
{
    public static string Serialize(object? value, int? indent = null, bool ensureAscii = false, bool sortKeys = false,
        string? itemSeparator = null, string? keySeparator = null)
    {
        var options = new Options(indent, ensureAscii, sortKeys, itemSeparator ?? (indent == null ? ", " : ","), keySeparator ?? ": ");
        var sb = new StringBuilder();
        Write(sb, value, options, 0);
        return sb.ToString();
    }

    sealed record Options(int? Indent, bool EnsureAscii, bool SortKeys, string ItemSeparator, string KeySeparator);

    static void Write(StringBuilder sb, object? value, Options o, int depth)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(double.IsFinite(d) ? Py.FloatRepr(d) : double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity"); break;
            case string s: WriteString(sb, s, o.EnsureAscii); break;
            case List<object?> list:
                WriteContainer(sb, '[', ']', list, o, depth, (item, d) => Write(sb, item, o, d));
                break;
            case OrderedDictionary<string, object?> dict:
                IEnumerable<KeyValuePair<string, object?>> pairs = o.SortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal) : dict;
                WriteContainer(sb, '{', '}', pairs.ToList(), o, depth, (kv, d) =>
                {
                    WriteString(sb, kv.Key, o.EnsureAscii);
                    sb.Append(o.KeySeparator);
                    Write(sb, kv.Value, o, d);
                });
                break;
            case JinjaNamespace ns:
                Write(sb, ns.Attributes, o, depth);
                break;
            case Undefined u:
                throw new JinjaException($"cannot serialize an undefined value to JSON ({u.Hint})");
            default:
                throw new JinjaException($"Object of type {Py.TypeName(value)} is not JSON serializable");
        }
    }

    static void WriteContainer<T>(StringBuilder sb, char open, char close, List<T> items, Options o, int depth, Action<T, int> writeItem)
    {
        sb.Append(open);
        if (items.Count == 0)
        {
            sb.Append(close);
            return;
        }
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(o.ItemSeparator);
            if (o.Indent != null) sb.Append('\n').Append(' ', o.Indent.Value * (depth + 1));
            writeItem(items[i], depth + 1);
        }
        if (o.Indent != null) sb.Append('\n').Append(' ', o.Indent.Value * depth);
        sb.Append(close);
    }

    static void WriteString(StringBuilder sb, string s, bool ensureAscii)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ensureAscii && c > 0x7f)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Parses JSON text (the <c>from_json</c> filter, tool-call arguments given as text).</summary>
    public static object? Parse(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return FromElement(doc.RootElement);
        }
        catch (JsonException ex)
        {
            throw new JinjaException($"invalid JSON: {ex.Message}");
        }
    }

    static object? FromElement(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => ToDict(e.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, FromElement(p.Value)))),
        JsonValueKind.Array => e.EnumerateArray().Select(FromElement).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) ? (object)l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    static OrderedDictionary<string, object?> ToDict(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in pairs) dict[kv.Key] = kv.Value;
        return dict;
    }

    /// <summary>Converts caller-supplied .NET values (extra variables, tool schemas) into the value model.</summary>
    public static object? FromClr(object? value) => value switch
    {
        null => null,
        string or bool or long or double or Undefined or JinjaNamespace => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        sbyte sb => (long)sb,
        uint ui => (long)ui,
        ushort us => (long)us,
        ulong ul => ul <= long.MaxValue ? (object)(long)ul : (double)ul,
        float f => double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        decimal m => (double)m,
        char c => c.ToString(),
        Enum en => en.ToString(),
        JsonElement el => FromElement(el),
        JsonDocument doc => FromElement(doc.RootElement),
        JsonNode node => Parse(node.ToJsonString()),
        OrderedDictionary<string, object?> dict => ToDict(dict.Select(kv => new KeyValuePair<string, object?>(kv.Key, FromClr(kv.Value)))),
        IDictionary<string, object?> dict => ToDict(dict.Select(kv => new KeyValuePair<string, object?>(kv.Key, FromClr(kv.Value)))),
        IReadOnlyDictionary<string, object?> dict => ToDict(dict.Select(kv => new KeyValuePair<string, object?>(kv.Key, FromClr(kv.Value)))),
        IDictionary dict => ToDict(dict.Keys.Cast<object>().Select(k => new KeyValuePair<string, object?>(Convert.ToString(k, CultureInfo.InvariantCulture) ?? "", FromClr(dict[k])))),
        IEnumerable seq => seq.Cast<object?>().Select(FromClr).ToList(),
        _ => throw new ArgumentException($"cannot pass a value of type {value.GetType().Name} to a chat template", nameof(value)),
    };
}
