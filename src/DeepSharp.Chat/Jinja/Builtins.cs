namespace DeepSharp.Chat.Jinja;

/// <summary>Global functions every template sees: Jinja2's namespace/range/dict, and HF's raise_exception.</summary>
internal static class Builtins
{
    public static readonly IReadOnlyDictionary<string, object?> Globals = new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["namespace"] = new BuiltinFunction("namespace", MakeNamespace),
        ["range"] = new BuiltinFunction("range", Range),
        ["dict"] = new BuiltinFunction("dict", args => new OrderedDictionary<string, object?>(args.Keywords, StringComparer.Ordinal)),
        ["raise_exception"] = new BuiltinFunction("raise_exception", args =>
            throw new JinjaException(Py.Str(args.Get(0, "message", "template raised an exception")), raisedByTemplate: true)),
    };

    static JinjaNamespace MakeNamespace(CallArguments args)
    {
        var ns = new JinjaNamespace();
        foreach (var positional in args.Positional)
        {
            if (positional is not OrderedDictionary<string, object?> initial) throw new JinjaException("namespace() takes a mapping or keyword arguments");
            foreach (var kv in initial) ns.Attributes[kv.Key] = kv.Value;
        }
        foreach (var kv in args.Keywords) ns.Attributes[kv.Key] = kv.Value;
        return ns;
    }

    static List<object?> Range(CallArguments args)
    {
        var bounds = args.Positional.Select(v => v is long l ? l : throw new JinjaException("range() arguments must be integers")).ToList();
        (long start, long stop, long step) = bounds.Count switch
        {
            1 => (0L, bounds[0], 1L),
            2 => (bounds[0], bounds[1], 1L),
            3 => (bounds[0], bounds[1], bounds[2]),
            _ => throw new JinjaException("range expected 1 to 3 arguments"),
        };
        if (step == 0) throw new JinjaException("range() arg 3 must not be zero");
        var result = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (result.Count >= 1_000_000) throw new JinjaException("range too large");
            result.Add(i);
        }
        return result;
    }
}
