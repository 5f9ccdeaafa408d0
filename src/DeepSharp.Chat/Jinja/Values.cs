using System.Globalization;
using System.Text;

namespace DeepSharp.Chat.Jinja;

// Runtime values are plain CLR objects with Python meaning, because chat templates are written against Python's
// Jinja2: null = None, bool, long = int, double = float, string = str, List<object?> = list/tuple,
// OrderedDictionary<string, object?> = dict (insertion ordered, like Python), plus the few types below.

/// <summary>Jinja2's default Undefined: falsy, renders empty, iterates as empty, fails on attribute access.</summary>
/// <param name="hint">Why it is undefined, e.g. "'x' is undefined"; the error text when it is misused.</param>
internal sealed class Undefined(string hint)
{
    public string Hint { get; } = hint;
    public override string ToString() => "";
}

/// <summary>The object made by <c>namespace(...)</c>: a mutable bag that <c>set ns.x = ...</c> writes into.</summary>
internal sealed class JinjaNamespace
{
    public OrderedDictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>Anything a template can call: macros, global functions, bound string/dict methods.</summary>
internal abstract class JinjaCallable
{
    public abstract object? Invoke(CallArguments args);
}

/// <summary>Evaluated call arguments: positional, then keyword.</summary>
internal sealed class CallArguments(List<object?> positional, OrderedDictionary<string, object?> keywords)
{
    public static readonly CallArguments Empty = new([], new OrderedDictionary<string, object?>(StringComparer.Ordinal));
    public List<object?> Positional { get; } = positional;
    public OrderedDictionary<string, object?> Keywords { get; } = keywords;

    /// <summary>Argument by position or by keyword, or <paramref name="fallback"/> when absent.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index < Positional.Count) return Positional[index];
        return Keywords.TryGetValue(name, out var v) ? v : fallback;
    }

    public bool Has(int index, string name) => index < Positional.Count || Keywords.ContainsKey(name);
}

/// <summary>Python semantics for the value model: truth, str(), repr(), equality, ordering, iteration.</summary>
internal static class Py
{
    public static bool IsUndefined(object? v) => v is Undefined;

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        OrderedDictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    /// <summary>Python <c>str(v)</c> — what <c>{{ v }}</c> prints.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>Python <c>repr(v)</c>, used inside containers (<c>['a', 1]</c>).</summary>
    public static string Repr(object? v)
    {
        switch (v)
        {
            case null: return "None";
            case Undefined: return "";
            case bool b: return b ? "True" : "False";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return FloatRepr(d);
            case string s: return QuoteString(s);
            case List<object?> list: return "[" + string.Join(", ", list.Select(Repr)) + "]";
            case OrderedDictionary<string, object?> dict:
                return "{" + string.Join(", ", dict.Select(kv => QuoteString(kv.Key) + ": " + Repr(kv.Value))) + "}";
            case JinjaNamespace: return "<Namespace>";
            default: return v.ToString() ?? "";
        }
    }

    static string QuoteString(string s)
    {
        // Python prefers single quotes, switching to double quotes when the text has ' but no ".
        char quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append(quote).ToString();
    }

    /// <summary>Python's float repr: shortest round-trip digits, fixed notation for 1e-4 &lt;= |x| &lt; 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        string r = "";
        // Find the shortest precision that round-trips, as Python's repr does.
        for (int digits = 1; digits <= 17; digits++)
        {
            r = d.ToString("E" + (digits - 1).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (double.Parse(r, CultureInfo.InvariantCulture) == d) break;
        }
        bool negative = r[0] == '-';
        if (negative) r = r[1..];
        int e = r.IndexOf('E', StringComparison.Ordinal);
        string mantissa = r[..e].Replace(".", "", StringComparison.Ordinal);
        int exponent = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        string body;
        if (exponent >= -4 && exponent < 16)
        {
            if (exponent >= 0)
            {
                string intPart = mantissa.Length > exponent + 1 ? mantissa[..(exponent + 1)] : mantissa.PadRight(exponent + 1, '0');
                string frac = mantissa.Length > exponent + 1 ? mantissa[(exponent + 1)..] : "0";
                body = intPart + "." + frac;
            }
            else
            {
                body = "0." + new string('0', -exponent - 1) + mantissa;
            }
        }
        else
        {
            string m = mantissa.Length > 1 ? mantissa[0] + "." + mantissa[1..] : mantissa;
            body = m + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        return negative ? "-" + body : body;
    }

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        OrderedDictionary<string, object?> => "dict",
        JinjaNamespace => "Namespace",
        JinjaCallable => "function",
        _ => v.GetType().Name,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new JinjaException($"expected a number, got {TypeName(v)}"),
    };

    public static bool ValueEquals(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToLong(a) == ToLong(b);
        }
        if (a is string sa && b is string sb) return string.Equals(sa, sb, StringComparison.Ordinal);
        if (a is List<object?> la && b is List<object?> lb)
        {
            if (la.Count != lb.Count) return false;
            for (int i = 0; i < la.Count; i++) if (!ValueEquals(la[i], lb[i])) return false;
            return true;
        }
        if (a is OrderedDictionary<string, object?> da && b is OrderedDictionary<string, object?> db)
        {
            if (da.Count != db.Count) return false;
            foreach (var kv in da) if (!db.TryGetValue(kv.Key, out var other) || !ValueEquals(kv.Value, other)) return false;
            return true;
        }
        return ReferenceEquals(a, b);
    }

    static long ToLong(object v) => v is bool b ? (b ? 1 : 0) : (long)v;

    /// <summary>Python ordering for &lt; &gt; sort/min/max: numbers with numbers, strings with strings, lists lexically.</summary>
    public static int Compare(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return ToLong(a!).CompareTo(ToLong(b!));
        }
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb) switch { < 0 => -1, > 0 => 1, _ => 0 };
        if (a is List<object?> la && b is List<object?> lb)
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                int c = Compare(la[i], lb[i]);
                if (c != 0) return c;
            }
            return la.Count.CompareTo(lb.Count);
        }
        throw new JinjaException($"'<' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>Python iteration: list items, dict keys, string characters; Undefined iterates as empty.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> list => list,
        OrderedDictionary<string, object?> dict => dict.Keys.Cast<object?>().ToList(),
        string s => TextElements.Chars(s).Cast<object?>().ToList(),
        Undefined => [],
        _ => throw new JinjaException($"'{TypeName(v)}' object is not iterable"),
    };

    public static long Length(object? v) => v switch
    {
        string s => TextElements.Chars(s).Count,
        List<object?> list => list.Count,
        OrderedDictionary<string, object?> dict => dict.Count,
        Undefined => 0,
        _ => throw new JinjaException($"object of type '{TypeName(v)}' has no len()"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new JinjaException($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        List<object?> list => list.Any(x => ValueEquals(x, item)),
        OrderedDictionary<string, object?> dict => item is string key && dict.ContainsKey(key),
        JinjaNamespace ns => item is string key && ns.Attributes.ContainsKey(key),
        Undefined => false,
        _ => throw new JinjaException($"argument of type '{TypeName(container)}' is not iterable"),
    };
}

/// <summary>Python strings index by code point; .NET by UTF-16 unit. These helpers keep Python's view.</summary>
internal static class TextElements
{
    public static List<string> Chars(string s)
    {
        var result = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                result.Add(s.Substring(i, 2));
                i++;
            }
            else
            {
                result.Add(s[i].ToString());
            }
        }
        return result;
    }
}

/// <summary>A template error without a location yet; the evaluator adds the line and column of the node.</summary>
internal sealed class JinjaException(string message, bool raisedByTemplate = false) : Exception(message)
{
    public bool RaisedByTemplate { get; } = raisedByTemplate;
}
