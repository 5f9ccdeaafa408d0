using DeepSharp.Models.Abstractions;
using DeepSharp.Models.Architectures;

namespace DeepSharp.Models;

/// <summary>GGUF <c>general.architecture</c> → the factory that builds it. Adding an architecture = one line here.</summary>
public static class ArchitectureRegistry
{
    private static readonly Dictionary<string, Func<WeightSource, DecoderModel>> Factories = new(StringComparer.Ordinal)
    {
        [Deepseek2.Name] = Deepseek2.Create,
        [Llama.Name] = Llama.Create,
        [Qwen2.Name] = Qwen2.Create,
    };

    public static IReadOnlyList<string> Supported { get; } = [.. Factories.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Builds <paramref name="architecture"/> from <paramref name="weights"/>; UnsupportedArchitectureException if unknown.</summary>
    public static DecoderModel Create(string architecture, WeightSource weights) =>
        Factories.TryGetValue(architecture, out var create)
            ? create(weights)
            : throw new UnsupportedArchitectureException(architecture, Supported);
}
