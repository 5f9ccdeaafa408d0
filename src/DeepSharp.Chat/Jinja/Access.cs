using System.Text;

namespace DeepSharp.Chat.Jinja;

/// <summary>The <c>loop</c> variable inside a for block.</summary>
internal sealed class LoopContext(List<object?> items, int index)
{
    public object? Get(string name) => name switch
    {
        "index" => (long)index + 1,
        "index0" => (long)index,
        "revindex" => (long)(items.Count - index),
        "revindex0" => (long)(items.Count - index - 1),
        "first" => index == 0,
        "last" => index == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => index > 0 ? items[index - 1] : new Undefined("there is no previous item"),
        "nextitem" => index < items.Count - 1 ? items[index + 1] : new Undefined("there is no next item"),
        "cycle" => new BuiltinFunction("cycle", args =>
            args.Positional.Count == 0 ? throw new JinjaException("no items for cycling given") : args.Positional[index % args.Positional.Count]),
        _ => new Undefined($"'loop' has no attribute '{name}'"),
    };
}

internal sealed class BuiltinFunction(string name, Func<CallArguments, object?> body) : JinjaCallable
{
    public string Name { get; } = name;
    public override object? Invoke(CallArguments args) => body(args);
}

/// <summary>A string or dict method taken as a value (<c>s.split</c>), called later.</summary>
internal sealed class BoundMethod(object target, string name) : JinjaCallable
{
    public override object? Invoke(CallArguments args) => target switch
    {
        string s => StringMethods.Call(s, name, args),
        OrderedDictionary<string, object?> d => DictMethod(d, args),
        _ => throw new JinjaException($"'{Py.TypeName(target)}' object has no method '{name}'"),
    };

    object? DictMethod(OrderedDictionary<string, object?> dict, CallArguments args) => name switch
    {
        "items" => dict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
        "keys" => dict.Keys.Cast<object?>().ToList(),
        "values" => dict.Values.ToList(),
        "get" => args.Get(0, "key") is string key && dict.TryGetValue(key, out var v) ? v : args.Get(1, "default"),
        _ => throw new JinjaException($"'dict' object has no method '{name}'"),
    };
}

/// <summary>Attribute, subscript and slice access with Jinja2's rules: <c>obj.x</c> prefers a method, then a
/// key; <c>obj['x']</c> prefers a key; a miss yields Undefined rather than an error.</summary>
internal static class Access
{
    static readonly HashSet<string> DictMethods = ["items", "keys", "values", "get"];

    public static object? GetAttribute(object? target, string name)
    {
        switch (target)
        {
            case Undefined u:
                throw new JinjaException(u.Hint);
            case OrderedDictionary<string, object?> dict:
                if (DictMethods.Contains(name)) return new BoundMethod(dict, name);
                return dict.TryGetValue(name, out var v) ? v : new Undefined($"'dict object' has no attribute '{name}'");
            case JinjaNamespace ns:
                return ns.Attributes.TryGetValue(name, out var nv) ? nv : new Undefined($"'namespace' has no attribute '{name}'");
            case LoopContext loop:
                return loop.Get(name);
            case string s:
                return StringMethods.Has(name) ? new BoundMethod(s, name) : new Undefined($"'str object' has no attribute '{name}'");
            default:
                return new Undefined($"'{Py.TypeName(target)} object' has no attribute '{name}'");
        }
    }

    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Undefined u:
                throw new JinjaException(u.Hint);
            case OrderedDictionary<string, object?> dict:
                if (key is string k && dict.TryGetValue(k, out var v)) return v;
                return key is string name && DictMethods.Contains(name)
                    ? new BoundMethod(dict, name)
                    : new Undefined($"'dict object' has no attribute {Py.Repr(key)}");
            case List<object?> list:
                return IndexInto(list.Count, key, i => list[i]);
            case string s:
                var chars = TextElements.Chars(s);
                return IndexInto(chars.Count, key, i => chars[i]);
            case JinjaNamespace or LoopContext when key is string attr:
                return GetAttribute(target, attr);
            default:
                return new Undefined($"'{Py.TypeName(target)} object' has no item {Py.Repr(key)}");
        }
    }

    static object? IndexInto(int count, object? key, Func<int, object?> at)
    {
        if (key is not (long or bool)) return new Undefined($"invalid index {Py.Repr(key)}");
        long i = key is bool b ? (b ? 1 : 0) : (long)key;
        if (i < 0) i += count;
        return i >= 0 && i < count ? at((int)i) : new Undefined($"index {Py.Repr(key)} out of range");
    }

    /// <summary>Python slice semantics, including negative indices and steps (<c>[::-1]</c>).</summary>
    public static object? Slice(object? target, long? start, long? stop, long? step)
    {
        if (target is Undefined u) throw new JinjaException(u.Hint);
        List<object?> source = target switch
        {
            List<object?> list => list,
            string s => TextElements.Chars(s).Cast<object?>().ToList(),
            _ => throw new JinjaException($"'{Py.TypeName(target)}' object is not subscriptable"),
        };
        var picked = SliceIndices(source.Count, start, stop, step).Select(i => source[i]).ToList();
        if (target is not string) return picked;
        var sb = new StringBuilder();
        foreach (var c in picked) sb.Append((string)c!);
        return sb.ToString();
    }

    static IEnumerable<int> SliceIndices(int count, long? start, long? stop, long? step)
    {
        long st = step ?? 1;
        if (st == 0) throw new JinjaException("slice step cannot be zero");
        long Clamp(long? v, long dflt, long lo, long hi)
        {
            if (v == null) return dflt;
            long x = v.Value < 0 ? v.Value + count : v.Value;
            return Math.Clamp(x, lo, hi);
        }
        if (st > 0)
        {
            long from = Clamp(start, 0, 0, count), to = Clamp(stop, count, 0, count);
            for (long i = from; i < to; i += st) yield return (int)i;
        }
        else
        {
            long from = Clamp(start, count - 1, -1, count - 1), to = Clamp(stop, -1, -1, count - 1);
            for (long i = from; i > to; i += st) yield return (int)i;
        }
    }
}

/// <summary>Python arithmetic on the value model.</summary>
internal static class Arithmetic
{
    public static object? Apply(string op, object? a, object? b)
    {
        if (a is Undefined ua) throw new JinjaException(ua.Hint);
        if (b is Undefined ub) throw new JinjaException(ub.Hint);
        if (Py.IsNumber(a) && Py.IsNumber(b)) return Numeric(op, a, b);
        switch (op)
        {
            case "+" when a is string sa && b is string sb: return sa + sb;
            case "+" when a is List<object?> la && b is List<object?> lb: return la.Concat(lb).ToList();
            case "*" when a is string s && b is long n: return Repeat(s, n);
            case "*" when a is long n && b is string s: return Repeat(s, n);
            case "*" when a is List<object?> l && b is long n: return Enumerable.Repeat(l, (int)Math.Max(0, n)).SelectMany(x => x).ToList();
            default:
                throw new JinjaException($"unsupported operand type(s) for {op}: '{Py.TypeName(a)}' and '{Py.TypeName(b)}'");
        }
    }

    static string Repeat(string s, long n) => n <= 0 ? "" : new StringBuilder().Insert(0, s, (int)n).ToString();

    static object Numeric(string op, object? a, object? b)
    {
        bool integral = a is not double && b is not double;
        if (integral)
        {
            long x = a is bool ba ? (ba ? 1 : 0) : (long)a!, y = b is bool bb ? (bb ? 1 : 0) : (long)b!;
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "//": return y == 0 ? throw DivZero() : FloorDiv(x, y);
                case "%": return y == 0 ? throw DivZero() : ((x % y) + y) % y;
                case "**" when y >= 0: return (long)Math.Pow(x, y);
            }
        }
        double dx = Py.ToDouble(a), dy = Py.ToDouble(b);
        return op switch
        {
            "+" => dx + dy,
            "-" => dx - dy,
            "*" => dx * dy,
            "/" => dy == 0 ? throw DivZero() : dx / dy,
            "//" => dy == 0 ? throw DivZero() : Math.Floor(dx / dy),
            "%" => dy == 0 ? throw DivZero() : dx - (dy * Math.Floor(dx / dy)),
            "**" => Math.Pow(dx, dy),
            _ => throw new JinjaException($"unknown operator {op}"),
        };
    }

    static long FloorDiv(long x, long y)
    {
        long q = x / y;
        return (x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q;
    }

    static JinjaException DivZero() => new("division by zero");
}
