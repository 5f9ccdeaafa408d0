namespace DeepSharp.Sampling;

/// <summary>
/// One step of a sampling pipeline (llama.cpp <c>llama_sampler</c>, LLamaSharp <c>ISamplingPipeline</c>).
/// <see cref="Apply"/> filters or rescales the candidates, or selects one; <see cref="Accept"/> is told every token
/// that enters the sequence (so penalties can count them); <see cref="Reset"/> forgets that history.
/// Implementations do not allocate in <see cref="Apply"/> or <see cref="Accept"/>.
/// </summary>
public interface ISampler
{
    void Apply(TokenCandidates candidates);

    void Accept(int token);

    void Reset();
}
