using System.Globalization;
using System.Text;

namespace DeepSharp.Chat.Jinja;

/// <summary>Python <c>str</c> methods that chat templates call (<c>content.split('&lt;/think&gt;')[-1].lstrip('\n')</c>).</summary>
internal static class StringMethods
{
    static readonly HashSet<string> Names =
    [
        "split", "rsplit", "strip", "lstrip", "rstrip", "startswith", "endswith", "replace", "lower", "upper", "title",
        "capitalize", "format", "find", "rfind", "index", "count", "join", "splitlines", "isdigit", "isalpha",
        "isalnum", "isspace", "isupper", "islower", "swapcase", "removeprefix", "removesuffix", "center", "ljust",
        "rjust", "zfill", "partition", "rpartition",
    ];

    public static bool Has(string name) => Names.Contains(name);

    public static object? Call(string s, string name, CallArguments args) => name switch
    {
        "split" => Split(s, args.Get(0, "sep"), ArgInt(args, 1, "maxsplit", -1)),
        "rsplit" => RSplit(s, args.Get(0, "sep"), ArgInt(args, 1, "maxsplit", -1)),
        "strip" => Strip(s, args.Get(0, "chars"), left: true, right: true),
        "lstrip" => Strip(s, args.Get(0, "chars"), left: true, right: false),
        "rstrip" => Strip(s, args.Get(0, "chars"), left: false, right: true),
        "startswith" => AnyAffix(args.Get(0, "prefix"), p => s.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => AnyAffix(args.Get(0, "suffix"), p => s.EndsWith(p, StringComparison.Ordinal)),
        "replace" => Replace(s, ArgStr(args, 0, "old"), ArgStr(args, 1, "new"), ArgInt(args, 2, "count", -1)),
        "lower" => s.ToLowerInvariant(),
        "upper" => s.ToUpperInvariant(),
        "title" => Title(s),
        "capitalize" => Capitalize(s),
        "swapcase" => new string(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray()),
        "format" => Format(s, args),
        "find" => (long)s.IndexOf(ArgStr(args, 0, "sub"), StringComparison.Ordinal),
        "rfind" => (long)s.LastIndexOf(ArgStr(args, 0, "sub"), StringComparison.Ordinal),
        "index" => s.IndexOf(ArgStr(args, 0, "sub"), StringComparison.Ordinal) is var i and >= 0 ? (long)i : throw new JinjaException("substring not found"),
        "count" => CountOccurrences(s, ArgStr(args, 0, "sub")),
        "join" => string.Join(s, Py.Iterate(args.Get(0, "iterable")).Select(Py.Str)),
        "splitlines" => SplitLines(s),
        "isdigit" => s.Length > 0 && s.All(char.IsDigit),
        "isalpha" => s.Length > 0 && s.All(char.IsLetter),
        "isalnum" => s.Length > 0 && s.All(char.IsLetterOrDigit),
        "isspace" => s.Length > 0 && s.All(char.IsWhiteSpace),
        "isupper" => s.Any(char.IsLetter) && !s.Any(char.IsLower),
        "islower" => s.Any(char.IsLetter) && !s.Any(char.IsUpper),
        "removeprefix" => s.StartsWith(ArgStr(args, 0, "prefix"), StringComparison.Ordinal) ? s[ArgStr(args, 0, "prefix").Length..] : s,
        "removesuffix" => ArgStr(args, 0, "suffix") is var suf && suf.Length > 0 && s.EndsWith(suf, StringComparison.Ordinal) ? s[..^suf.Length] : s,
        "center" => Pad(s, (int)ArgInt(args, 0, "width", 0), 'c'),
        "ljust" => Pad(s, (int)ArgInt(args, 0, "width", 0), 'l'),
        "rjust" => Pad(s, (int)ArgInt(args, 0, "width", 0), 'r'),
        "zfill" => s.PadLeft((int)ArgInt(args, 0, "width", 0), '0'),
        "partition" => Partition(s, ArgStr(args, 0, "sep"), fromRight: false),
        "rpartition" => Partition(s, ArgStr(args, 0, "sep"), fromRight: true),
        _ => throw new JinjaException($"'str' object has no attribute '{name}'"),
    };

    static string ArgStr(CallArguments args, int index, string name) =>
        args.Get(index, name) as string ?? throw new JinjaException($"str method argument '{name}' must be a string");

    static long ArgInt(CallArguments args, int index, string name, long dflt) => args.Get(index, name, dflt) switch
    {
        long l => l,
        null => dflt,
        var v => throw new JinjaException($"argument '{name}' must be an integer, not {Py.TypeName(v)}"),
    };

    static bool AnyAffix(object? affix, Func<string, bool> test) => affix switch
    {
        string p => test(p),
        List<object?> options => options.Any(o => o is string p && test(p)),
        _ => throw new JinjaException("startswith/endswith argument must be a str or a tuple of str"),
    };

    static List<object?> Split(string s, object? sep, long maxSplit)
    {
        if (sep is null or Undefined) return SplitWhitespace(s, maxSplit);
        string separator = sep as string ?? throw new JinjaException("split separator must be a string");
        if (separator.Length == 0) throw new JinjaException("empty separator");
        var parts = new List<object?>();
        int pos = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = s.IndexOf(separator, pos, StringComparison.Ordinal);
            if (at < 0) break;
            parts.Add(s[pos..at]);
            pos = at + separator.Length;
        }
        parts.Add(s[pos..]);
        return parts;
    }

    static List<object?> RSplit(string s, object? sep, long maxSplit)
    {
        if (maxSplit < 0) return Split(s, sep, -1);
        if (sep is null or Undefined)
        {
            var words = SplitWhitespace(s, -1);
            if (words.Count <= maxSplit + 1) return words;
            // Python keeps the original spacing inside the unsplit head; approximating with single spaces is
            // acceptable for templates, which do not rsplit on whitespace with a limit in practice.
            var head = string.Join(" ", words.Take(words.Count - (int)maxSplit).Select(Py.Str));
            return [head, .. words.Skip(words.Count - (int)maxSplit)];
        }
        string separator = sep as string ?? throw new JinjaException("rsplit separator must be a string");
        if (separator.Length == 0) throw new JinjaException("empty separator");
        var parts = new List<object?>();
        int end = s.Length;
        while (parts.Count < maxSplit)
        {
            int at = end - separator.Length < 0 ? -1 : s.LastIndexOf(separator, end - 1, end, StringComparison.Ordinal);
            if (at < 0 || at + separator.Length > end) break;
            parts.Insert(0, s[(at + separator.Length)..end]);
            end = at;
        }
        parts.Insert(0, s[..end]);
        return parts;
    }

    static List<object?> SplitWhitespace(string s, long maxSplit)
    {
        var parts = new List<object?>();
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            if (i >= s.Length) break;
            if (maxSplit >= 0 && parts.Count == maxSplit)
            {
                parts.Add(s[i..].TrimEnd());
                break;
            }
            int start = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
            parts.Add(s[start..i]);
        }
        return parts;
    }

    static List<object?> SplitLines(string s)
    {
        var lines = s.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n', '\r').Select(l => (object?)l).ToList();
        if (lines.Count > 0 && s.Length > 0 && s[^1] is '\n' or '\r') lines.RemoveAt(lines.Count - 1);
        if (s.Length == 0) lines.Clear();
        return lines;
    }

    public static string Strip(string s, object? chars, bool left, bool right)
    {
        if (chars is null or Undefined)
        {
            if (left) s = s.TrimStart();
            if (right) s = s.TrimEnd();
            return s;
        }
        char[] set = (chars as string ?? throw new JinjaException("strip argument must be a string")).ToCharArray();
        if (left) s = s.TrimStart(set);
        if (right) s = s.TrimEnd(set);
        return s;
    }

    static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? InsertEverywhere(s, replacement) : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int pos = 0;
        for (long n = 0; n < count; n++)
        {
            int at = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0 || old.Length == 0) break;
            sb.Append(s, pos, at - pos).Append(replacement);
            pos = at + old.Length;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    static string InsertEverywhere(string s, string insert) =>
        insert + string.Concat(TextElements.Chars(s).Select(c => c + insert));

    static long CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return TextElements.Chars(s).Count + 1;
        long n = 0;
        for (int at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Python <c>str.title()</c>: a letter is upper-cased when the previous character is not a letter.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevLetter = false;
        foreach (char c in s)
        {
            sb.Append(prevLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            prevLetter = char.IsLetter(c);
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    static string Pad(string s, int width, char mode)
    {
        int total = width - s.Length;
        if (total <= 0) return s;
        return mode switch
        {
            'l' => s.PadRight(width),
            'r' => s.PadLeft(width),
            _ => new string(' ', total / 2 + (total % 2 & width % 2)) + s + new string(' ', total - (total / 2 + (total % 2 & width % 2))),
        };
    }

    static List<object?> Partition(string s, string sep, bool fromRight)
    {
        int at = fromRight ? s.LastIndexOf(sep, StringComparison.Ordinal) : s.IndexOf(sep, StringComparison.Ordinal);
        if (at < 0) return fromRight ? ["", "", s] : [s, "", ""];
        return [s[..at], sep, s[(at + sep.Length)..]];
    }

    /// <summary>Python <c>str.format</c> with <c>{}</c>, <c>{0}</c>, <c>{name}</c> and <c>{{</c>/<c>}}</c>; no format specs.</summary>
    static string Format(string template, CallArguments args)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            int close = template.IndexOf('}', i);
            if (close < 0) throw new JinjaException("single '{' encountered in format string");
            string field = template[(i + 1)..close];
            int colon = field.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0) field = field[..colon];
            object? value;
            if (field.Length == 0) value = args.Positional.ElementAtOrDefault(auto++);
            else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) value = args.Positional.ElementAtOrDefault(n);
            else value = args.Keywords.TryGetValue(field, out var kw) ? kw : throw new JinjaException($"format: missing field '{field}'");
            sb.Append(Py.Str(value));
            i = close;
        }
        return sb.ToString();
    }
}
