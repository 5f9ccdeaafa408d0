namespace DeepSharp.Sampling;

/// <summary>One candidate token: its id, its (possibly modified) logit and, once a sampler computed it, its probability.</summary>
public struct TokenCandidate
{
    public TokenCandidate(int id, float logit)
    {
        Id = id;
        Logit = logit;
    }

    public int Id { get; set; }

    public float Logit { get; set; }

    /// <summary>Softmax probability over the current candidates; valid only after a sampler that computes it.</summary>
    public float Probability { get; set; }
}

/// <summary>
/// The candidate list that samplers filter and reorder in place (llama.cpp <c>llama_token_data_array</c>).
/// The buffer is allocated once for the vocabulary size and reused for every token: <see cref="Load"/> copies the
/// logits in, samplers shrink <see cref="Count"/>, reorder entries, and a selecting sampler sets <see cref="Selected"/>.
/// </summary>
public sealed class TokenCandidates
{
    private TokenCandidate[] _buffer;

    public TokenCandidates(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _buffer = new TokenCandidate[capacity];
    }

    /// <summary>Number of live candidates (a prefix of the buffer).</summary>
    public int Count { get; private set; }

    /// <summary>True when the live candidates are sorted by descending logit.</summary>
    public bool IsSorted { get; set; }

    /// <summary>Index (into the live candidates) of the chosen token, or -1 when no sampler has chosen yet.</summary>
    public int Selected { get; set; } = -1;

    public int Capacity => _buffer.Length;

    /// <summary>The live candidates.</summary>
    public Span<TokenCandidate> Span => _buffer.AsSpan(0, Count);

    /// <summary>The id of the selected candidate.</summary>
    public int SelectedId =>
        Selected >= 0 && Selected < Count
            ? _buffer[Selected].Id
            : throw new InvalidOperationException("No token was selected: the sampler chain must end with a selecting sampler (greedy or distribution).");

    /// <summary>Fills the candidates with token ids 0..n-1 and their logits. Grows the buffer only if the vocabulary grew.</summary>
    public void Load(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("Logits must not be empty.", nameof(logits));
        }

        if (logits.Length > _buffer.Length)
        {
            _buffer = new TokenCandidate[logits.Length];
        }

        for (int i = 0; i < logits.Length; i++)
        {
            _buffer[i] = new TokenCandidate(i, logits[i]);
        }

        Count = logits.Length;
        IsSorted = false;
        Selected = -1;
    }

    /// <summary>Keeps only the first <paramref name="count"/> candidates.</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        Count = count;
        if (Selected >= count)
        {
            Selected = -1;
        }
    }

    /// <summary>Restores the count after a sampler partitioned the buffer (entries past Count are still intact).</summary>
    internal void Restore(int count)
    {
        Count = count;
    }
}
