namespace DeepSharp.Reasoning.Tasks;

/// <summary>The built-in tasks by name.</summary>
public static class TaskRegistry
{
    private static readonly Dictionary<string, Func<IReasoningTask>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["arithmetic"] = () => new ArithmeticTask(),
        ["countdown"] = () => new CountdownTask(),
    };

    /// <summary>The task names, in registry order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Factories.Keys];

    /// <summary>A new instance of the named task; throws <see cref="ArgumentException"/> naming the known tasks.</summary>
    public static IReasoningTask Get(string name) =>
        Factories.TryGetValue(name, out var create)
            ? create()
            : throw new ArgumentException($"unknown task '{name}' (known: {string.Join(", ", Names)})", nameof(name));
}
