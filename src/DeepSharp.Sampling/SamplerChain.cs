namespace DeepSharp.Sampling;

/// <summary>
/// Runs samplers in order over one reusable candidate buffer and returns the selected token. The last sampler must
/// select (greedy or distribution). No allocation per token once the buffer has the vocabulary's size.
/// </summary>
public sealed class SamplerChain : ISampler
{
    private readonly ISampler[] _samplers;
    private readonly bool _greedyOnly;
    private TokenCandidates? _candidates;

    public SamplerChain(IEnumerable<ISampler> samplers)
    {
        ArgumentNullException.ThrowIfNull(samplers);
        _samplers = [.. samplers];
        if (_samplers.Length == 0)
        {
            throw new ArgumentException("A sampler chain needs at least one sampler.", nameof(samplers));
        }

        foreach (ISampler s in _samplers)
        {
            ArgumentNullException.ThrowIfNull(s, nameof(samplers));
        }

        _greedyOnly = _samplers[^1] is GreedySampler && _samplers[..^1].All(s => s is PenaltySampler { IsDisabled: true });
    }

    public IReadOnlyList<ISampler> Samplers => _samplers;

    /// <summary>
    /// The candidates as the last <see cref="Sample"/> left them (for inspection and tests); a chain that only picks
    /// greedily (disabled penalties, then <see cref="GreedySampler"/>) does not build them.
    /// </summary>
    public TokenCandidates? LastCandidates => _candidates;

    /// <summary>Loads the logits, applies every sampler, and returns the selected token id (it does not Accept it).</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        // Temperature 0 without penalties: the same pick straight from the logits, without the candidate list.
        if (_greedyOnly) return GreedySampler.Pick(logits);
        _candidates ??= new TokenCandidates(Math.Max(1, logits.Length));
        _candidates.Load(logits);
        Apply(_candidates);
        return _candidates.SelectedId;
    }

    public void Apply(TokenCandidates candidates)
    {
        foreach (ISampler s in _samplers)
        {
            s.Apply(candidates);
        }
    }

    /// <summary>Tells every sampler that a token entered the sequence (generated, and optionally prompt tokens).</summary>
    public void Accept(int token)
    {
        foreach (ISampler s in _samplers)
        {
            s.Accept(token);
        }
    }

    public void Reset()
    {
        foreach (ISampler s in _samplers)
        {
            s.Reset();
        }
    }
}
