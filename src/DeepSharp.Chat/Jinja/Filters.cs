using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepSharp.Chat.Jinja;

/// <summary>Jinja2 built-in filters used by chat templates, plus HF's <c>tojson</c> and minja's <c>from_json</c>.</summary>
internal static partial class Filters
{
    public static object? Apply(string name, object? input, CallArguments args) => name switch
    {
        "length" or "count" => Py.Length(input),
        "trim" => StringMethods.Strip(Py.Str(input), args.Get(0, "chars"), left: true, right: true),
        "tojson" => ToJson(input, args),
        "from_json" => Json.Parse(input as string ?? throw new JinjaException("from_json expects a string")),
        "string" => Py.Str(input),
        "lower" => Py.Str(input).ToLowerInvariant(),
        "upper" => Py.Str(input).ToUpperInvariant(),
        "title" => Title(Py.Str(input)),
        "capitalize" => StringMethods.Capitalize(Py.Str(input)),
        "replace" => Replace(input, args),
        "join" => Join(input, args),
        "first" => Py.Iterate(input) is { Count: > 0 } f ? f[0] : new Undefined("first of an empty sequence"),
        "last" => Py.Iterate(input) is { Count: > 0 } l ? l[^1] : new Undefined("last of an empty sequence"),
        "default" or "d" => Default(input, args),
        "items" => Items(input),
        "list" => Py.Iterate(input).ToList(),
        "map" => Map(input, args),
        "select" => SelectByTest(input, args, keep: true),
        "reject" => SelectByTest(input, args, keep: false),
        "selectattr" => SelectByAttribute(input, args, keep: true),
        "rejectattr" => SelectByAttribute(input, args, keep: false),
        "indent" => Indent(Py.Str(input), args),
        "safe" => input,
        "escape" or "e" => Escape(Py.Str(input)),
        "int" => ToInt(input, args),
        "float" => ToFloat(input, args),
        "abs" => input switch { long l => (object)Math.Abs(l), double d => Math.Abs(d), bool b => b ? 1L : 0L, _ => throw new JinjaException($"bad operand type for abs(): '{Py.TypeName(input)}'") },
        "round" => Round(input, args),
        "dictsort" => DictSort(input, args),
        "unique" => Unique(input, args),
        "wordcount" => (long)WordRegex().Count(Py.Str(input)),
        "sum" => Sum(input, args),
        "min" => Extreme(input, args, wantMax: false),
        "max" => Extreme(input, args, wantMax: true),
        "reverse" => input is string s ? string.Concat(TextElements.Chars(s).AsEnumerable().Reverse()) : Py.Iterate(input).AsEnumerable().Reverse().ToList(),
        "sort" => Sort(input, args),
        "attr" => Access.GetAttribute(input, args.Get(0, "name") as string ?? ""),
        "center" => StringMethods.Call(Py.Str(input), "center", new CallArguments([args.Get(0, "width", 80L)], CallArguments.Empty.Keywords)),
        "format" => PrintfFormat(Py.Str(input), args.Positional),
        _ => throw new JinjaException($"unknown filter '{name}'"),
    };

    static string ToJson(object? input, CallArguments args)
    {
        var indentArg = args.Get(0, "indent");
        int? indent = indentArg switch
        {
            null => null,
            long l => (int)l,
            _ => throw new JinjaException("tojson indent must be an integer"),
        };
        bool ensureAscii = Py.Truthy(args.Get(99, "ensure_ascii", false));
        bool sortKeys = Py.Truthy(args.Get(99, "sort_keys", false));
        string? itemSep = null, keySep = null;
        if (args.Get(99, "separators") is List<object?> { Count: 2 } seps)
        {
            itemSep = seps[0] as string;
            keySep = seps[1] as string;
        }
        return Json.Serialize(input, indent, ensureAscii, sortKeys, itemSep, keySep);
    }

    // Jinja2's title filter: words begin after whitespace, '-', or an opening bracket.
    static string Title(string s) =>
        string.Concat(TitleSplitRegex().Split(s).Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()));

    static string Replace(object? input, CallArguments args)
    {
        var call = new CallArguments([args.Get(0, "old"), args.Get(1, "new"), args.Get(2, "count", -1L)], CallArguments.Empty.Keywords);
        return (string)StringMethods.Call(Py.Str(input), "replace", call)!;
    }

    static string Join(object? input, CallArguments args)
    {
        string separator = Py.Str(args.Get(0, "d", ""));
        var attribute = args.Get(1, "attribute");
        var items = Py.Iterate(input);
        if (attribute != null) items = items.Select(i => GetPath(i, attribute)).ToList();
        return string.Join(separator, items.Select(Py.Str));
    }

    static object? Default(object? input, CallArguments args)
    {
        var fallback = args.Get(0, "default_value", "");
        bool boolean = Py.Truthy(args.Get(1, "boolean", false));
        if (input is Undefined || (boolean && !Py.Truthy(input))) return fallback;
        return input;
    }

    static List<object?> Items(object? input) => input switch
    {
        OrderedDictionary<string, object?> dict => dict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
        Undefined => [],
        _ => throw new JinjaException($"items filter expects a mapping, got {Py.TypeName(input)}"),
    };

    /// <summary>Attribute path for map/selectattr/sort: "a.b.0" walks dict keys and list indices.</summary>
    static object? GetPath(object? item, object? path)
    {
        if (path is long index) return Access.GetItem(item, index);
        foreach (string part in Py.Str(path).Split('.'))
        {
            object key = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : part;
            item = Access.GetItem(item, key);
        }
        return item;
    }

    static List<object?> Map(object? input, CallArguments args)
    {
        var items = Py.Iterate(input);
        if (args.Keywords.TryGetValue("attribute", out var attribute))
        {
            bool hasDefault = args.Keywords.TryGetValue("default", out var dflt);
            return items.Select(i => GetPath(i, attribute) is Undefined && hasDefault ? dflt : GetPath(i, attribute)).ToList();
        }
        string filter = args.Positional.Count > 0 && args.Positional[0] is string f ? f : throw new JinjaException("map needs a filter name or attribute=");
        var rest = new CallArguments(args.Positional.Skip(1).ToList(), args.Keywords);
        return items.Select(i => Apply(filter, i, rest)).ToList();
    }

    static List<object?> SelectByTest(object? input, CallArguments args, bool keep)
    {
        var items = Py.Iterate(input);
        if (args.Positional.Count == 0) return items.Where(i => Py.Truthy(i) == keep).ToList();
        string test = args.Positional[0] as string ?? throw new JinjaException("select needs a test name");
        var rest = new CallArguments(args.Positional.Skip(1).ToList(), args.Keywords);
        return items.Where(i => Tests.Apply(test, i, rest) == keep).ToList();
    }

    static List<object?> SelectByAttribute(object? input, CallArguments args, bool keep)
    {
        var attribute = args.Get(0, "attribute") ?? throw new JinjaException("selectattr needs an attribute name");
        var items = Py.Iterate(input);
        if (args.Positional.Count < 2) return items.Where(i => Py.Truthy(GetPath(i, attribute)) == keep).ToList();
        string test = args.Positional[1] as string ?? throw new JinjaException("selectattr test must be a name");
        var rest = new CallArguments(args.Positional.Skip(2).ToList(), args.Keywords);
        return items.Where(i => Tests.Apply(test, GetPath(i, attribute), rest) == keep).ToList();
    }

    // Jinja2 3.x indent(): lines after the first get the prefix; blank lines only with blank=True.
    static string Indent(string s, CallArguments args)
    {
        var width = args.Get(0, "width", 4L);
        string prefix = width is string w ? w : new string(' ', (int)(width is long l ? l : 4));
        bool first = Py.Truthy(args.Get(1, "first", false));
        bool blank = Py.Truthy(args.Get(2, "blank", false));
        var lines = (s + "\n").Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        lines.RemoveAt(lines.Count - 1);
        string result;
        if (blank)
        {
            result = string.Join("\n" + prefix, lines);
        }
        else
        {
            result = lines[0];
            if (lines.Count > 1) result += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? prefix + line : line));
        }
        return first ? prefix + result : result;
    }

    static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    static object? ToInt(object? input, CallArguments args)
    {
        var dflt = args.Get(0, "default", 0L);
        switch (input)
        {
            case long or bool: return input is bool b ? (b ? 1L : 0L) : input;
            case double d: return double.IsFinite(d) ? (long)Math.Truncate(d) : dflt;
            case string s:
                int numberBase = (int)(args.Get(1, "base", 10L) as long? ?? 10);
                string t = s.Trim().Replace("_", "", StringComparison.Ordinal);
                try
                {
                    return numberBase == 10 ? long.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : Convert.ToInt64(t, numberBase);
                }
                catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
                {
                    return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && double.IsFinite(f) ? (long)Math.Truncate(f) : dflt;
                }
            default: return dflt;
        }
    }

    static object? ToFloat(object? input, CallArguments args) => input switch
    {
        double d => d,
        long l => (double)l,
        bool b => b ? 1.0 : 0.0,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double f) => f,
        _ => args.Get(0, "default", 0.0),
    };

    static double Round(object? input, CallArguments args)
    {
        double value = Py.ToDouble(input);
        int precision = (int)(args.Get(0, "precision", 0L) as long? ?? 0);
        string method = args.Get(1, "method", "common") as string ?? "common";
        double scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => Math.Round(value, precision, MidpointRounding.ToEven), // Python round(): half to even
            "ceil" => Math.Ceiling(value * scale) / scale,
            "floor" => Math.Floor(value * scale) / scale,
            _ => throw new JinjaException("round method must be 'common', 'ceil' or 'floor'"),
        };
    }

    static object? SortKey(object? v, bool caseSensitive) => !caseSensitive && v is string s ? s.ToLowerInvariant() : v;

    static List<object?> DictSort(object? input, CallArguments args)
    {
        if (input is not OrderedDictionary<string, object?> dict) throw new JinjaException("dictsort expects a mapping");
        bool caseSensitive = Py.Truthy(args.Get(0, "case_sensitive", false));
        bool byValue = (args.Get(1, "by", "key") as string) == "value";
        bool reverse = Py.Truthy(args.Get(2, "reverse", false));
        var pairs = dict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList();
        return StableSort(pairs, p => SortKey(((List<object?>)p!)[byValue ? 1 : 0], caseSensitive), reverse);
    }

    static List<object?> StableSort(List<object?> items, Func<object?, object?> key, bool reverse)
    {
        var keyed = items.Select((item, index) => (item, key: key(item), index)).ToList();
        keyed.Sort((a, b) =>
        {
            int c = Py.Compare(a.key, b.key);
            if (reverse) c = -c;
            return c != 0 ? c : a.index.CompareTo(b.index);
        });
        return keyed.Select(k => k.item).ToList();
    }

    static List<object?> Sort(object? input, CallArguments args)
    {
        bool reverse = Py.Truthy(args.Get(0, "reverse", false));
        bool caseSensitive = Py.Truthy(args.Get(1, "case_sensitive", false));
        var attribute = args.Get(2, "attribute");
        return StableSort(Py.Iterate(input), i => SortKey(attribute != null ? GetPath(i, attribute) : i, caseSensitive), reverse);
    }

    static List<object?> Unique(object? input, CallArguments args)
    {
        bool caseSensitive = Py.Truthy(args.Get(0, "case_sensitive", false));
        var attribute = args.Get(1, "attribute");
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in Py.Iterate(input))
        {
            var key = SortKey(attribute != null ? GetPath(item, attribute) : item, caseSensitive);
            if (seen.Any(s => Py.ValueEquals(s, key))) continue;
            seen.Add(key);
            result.Add(item);
        }
        return result;
    }

    static object? Sum(object? input, CallArguments args)
    {
        var attribute = args.Get(0, "attribute");
        object? total = args.Get(1, "start", 0L);
        foreach (var item in Py.Iterate(input)) total = Arithmetic.Apply("+", total, attribute != null ? GetPath(item, attribute) : item);
        return total;
    }

    static object? Extreme(object? input, CallArguments args, bool wantMax)
    {
        bool caseSensitive = Py.Truthy(args.Get(0, "case_sensitive", false));
        var attribute = args.Get(1, "attribute");
        var items = Py.Iterate(input);
        if (items.Count == 0) return new Undefined("no items for min/max");
        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            var a = SortKey(attribute != null ? GetPath(item, attribute) : item, caseSensitive);
            var b = SortKey(attribute != null ? GetPath(best, attribute) : best, caseSensitive);
            int c = Py.Compare(a, b);
            if (wantMax ? c > 0 : c < 0) best = item;
        }
        return best;
    }

    /// <summary>Python <c>%</c> formatting for the <c>format</c> filter: %s %r %d %i %f %%.</summary>
    static string PrintfFormat(string format, List<object?> values)
    {
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char spec = format[++i];
            if (spec == '%') { sb.Append('%'); continue; }
            var value = next < values.Count ? values[next++] : throw new JinjaException("not enough arguments for format string");
            sb.Append(spec switch
            {
                's' => Py.Str(value),
                'r' => Py.Repr(value),
                'd' or 'i' => ((long)Math.Truncate(Py.ToDouble(value))).ToString(CultureInfo.InvariantCulture),
                'f' => Py.ToDouble(value).ToString("F6", CultureInfo.InvariantCulture),
                _ => throw new JinjaException($"unsupported format character '{spec}'"),
            });
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex TitleSplitRegex();

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRegex();
}
