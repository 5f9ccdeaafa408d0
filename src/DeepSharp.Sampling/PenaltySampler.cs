namespace DeepSharp.Sampling;

/// <summary>
/// Repetition, presence and frequency penalties over the last N accepted tokens (llama.cpp
/// <c>llama_sampler_penalties</c> semantics). For a token seen c &gt; 0 times in the window:
/// logit ← logit·r if logit ≤ 0, else logit/r; then logit ← logit − c·frequency − presence.
/// A window of 0, or r = 1 with both other penalties 0, disables it.
/// </summary>
public sealed class PenaltySampler : ISampler
{
    private readonly int[] _window;     // ring buffer of the last N accepted tokens
    private int _windowStart;           // index of the oldest token in the ring
    private int _windowCount;
    private int[] _counts = new int[1024]; // occurrences of each token id inside the window; grows with the largest id

    public PenaltySampler(int lastN, float repeatPenalty, float frequencyPenalty, float presencePenalty)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastN);
        if (!(repeatPenalty > 0) || float.IsInfinity(repeatPenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(repeatPenalty), repeatPenalty, "Repeat penalty must be a positive finite number (1 = off).");
        }

        if (!float.IsFinite(frequencyPenalty) || !float.IsFinite(presencePenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(frequencyPenalty), "Frequency and presence penalties must be finite.");
        }

        LastN = lastN;
        RepeatPenalty = repeatPenalty;
        FrequencyPenalty = frequencyPenalty;
        PresencePenalty = presencePenalty;
        _window = new int[lastN];
    }

    public int LastN { get; }

    public float RepeatPenalty { get; }

    public float FrequencyPenalty { get; }

    public float PresencePenalty { get; }

    /// <summary>True when the settings change no logit (a window of 0, or r = 1 with both other penalties 0).</summary>
    public bool IsDisabled => LastN == 0 || (RepeatPenalty == 1f && FrequencyPenalty == 0f && PresencePenalty == 0f);

    public void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (IsDisabled || _windowCount == 0)
        {
            return;
        }

        foreach (ref TokenCandidate t in candidates.Span)
        {
            int count = (uint)t.Id < (uint)_counts.Length ? _counts[t.Id] : 0;
            if (count == 0)
            {
                continue;
            }

            float logit = t.Logit;
            logit = logit <= 0 ? logit * RepeatPenalty : logit / RepeatPenalty;
            t.Logit = logit - (count * FrequencyPenalty) - PresencePenalty;
        }

        candidates.IsSorted = false;
    }

    public void Accept(int token)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        if (LastN == 0)
        {
            return;
        }

        if (token >= _counts.Length)
        {
            Array.Resize(ref _counts, Math.Max(token + 1, _counts.Length * 2));   // once per vocabulary size, not per token
        }

        if (_windowCount == LastN)
        {
            _counts[_window[_windowStart]]--;
            _window[_windowStart] = token;
            _windowStart = (_windowStart + 1) % LastN;
        }
        else
        {
            _window[(_windowStart + _windowCount) % LastN] = token;
            _windowCount++;
        }

        _counts[token]++;
    }

    public void Reset()
    {
        Array.Clear(_counts);
        _windowStart = 0;
        _windowCount = 0;
    }
}
