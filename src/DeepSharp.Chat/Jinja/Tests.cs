namespace DeepSharp.Chat.Jinja;

/// <summary>Jinja2 tests (<c>x is defined</c>, <c>x is string</c>, ...), with Jinja2's view of Undefined: it is
/// iterable and a sequence (it has __iter__, __len__ and __getitem__) but not a mapping or a string.</summary>
internal static class Tests
{
    public static bool Apply(string name, object? input, CallArguments args) => name switch
    {
        "defined" => input is not Undefined,
        "undefined" => input is Undefined,
        "none" => input is null,
        "boolean" => input is bool,
        "true" => input is true,
        "false" => input is false,
        "integer" => input is long,
        "float" => input is double,
        "number" => input is long or double or bool,
        "string" => input is string,
        "mapping" => input is OrderedDictionary<string, object?>,
        "iterable" => input is string or List<object?> or OrderedDictionary<string, object?> or Undefined,
        "sequence" => input is string or List<object?> or OrderedDictionary<string, object?> or Undefined,
        "callable" => input is JinjaCallable,
        "odd" => Integer(input) % 2 != 0,
        "even" => Integer(input) % 2 == 0,
        "divisibleby" => Integer(args.Get(0, "num")) is var d && d != 0 && Integer(input) % d == 0,
        "lower" => input is string s && !s.Any(char.IsUpper),
        "upper" => input is string s && !s.Any(char.IsLower),
        "sameas" => SameAs(input, args.Get(0, "other")),
        "eq" or "equalto" or "==" => Py.ValueEquals(input, args.Get(0, "other")),
        "ne" or "!=" => !Py.ValueEquals(input, args.Get(0, "other")),
        "lt" or "lessthan" or "<" => Py.Compare(input, args.Get(0, "other")) < 0,
        "le" or "<=" => Py.Compare(input, args.Get(0, "other")) <= 0,
        "gt" or "greaterthan" or ">" => Py.Compare(input, args.Get(0, "other")) > 0,
        "ge" or ">=" => Py.Compare(input, args.Get(0, "other")) >= 0,
        "in" => Py.Contains(args.Get(0, "seq"), input),
        "filter" => input is string,
        "test" => input is string,
        _ => throw new JinjaException($"unknown test '{name}'"),
    };

    static long Integer(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new JinjaException($"expected an integer, got {Py.TypeName(v)}"),
    };

    // Python 'is': identity for None/bools, value identity for small immutable values, reference otherwise.
    static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        _ => ReferenceEquals(a, b),
    };
}
