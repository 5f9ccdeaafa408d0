namespace DeepSharp.Reasoning.Evaluation;

/// <summary>One prompt to answer; <paramref name="Seed"/> makes the sample reproducible where the model allows.</summary>
public sealed record ResponseRequest(string Prompt, ulong Seed);

/// <summary>
/// A model's reply in the <see cref="ResponseFormat"/> layout ("&lt;think&gt;\n…\n&lt;/think&gt;\n\n answer"; the
/// closing tag missing when the reasoning never ended), or the error that prevented one.
/// </summary>
public sealed record Completion(string Response, int? CompletionTokens, string? Error = null)
{
    public static Completion Failure(string error) => new("", null, error);
}

/// <summary>How responders sample (the R1 protocol: temperature 0.6, top-p 0.95).</summary>
public sealed record GenerationSettings(float Temperature = 0.6f, float TopP = 0.95f, int MaxTokens = 32768);

/// <summary>Something that answers prompts: a model in this process or an OpenAI-compatible endpoint.</summary>
public interface IResponder : IDisposable
{
    /// <summary>Short description for reports and trace sources ("model.gguf", "http://host/v1").</summary>
    string Source { get; }

    /// <summary>One completion per request, in order. Failures are reported per request, never thrown.</summary>
    Task<IReadOnlyList<Completion>> RespondAsync(IReadOnlyList<ResponseRequest> requests, CancellationToken cancellation);
}
