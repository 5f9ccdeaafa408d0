using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSharp.Sampling;

/// <summary>Picks the first candidate with the largest logit (llama.cpp greedy: first maximum in candidate order).</summary>
public sealed class GreedySampler : ISampler
{
    public void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        candidates.Selected = candidates.Count == 0 ? -1 : CandidateOps.ArgMaxFirst(candidates.Span);
    }

    /// <summary>
    /// The token <see cref="Apply"/> picks from freshly loaded <paramref name="logits"/>, without building candidates:
    /// the first index of the largest value (a NaN never wins, except at index 0 where nothing beats it). Used when
    /// nothing runs before the greedy choice; vectorised, since it runs over the whole vocabulary every token.
    /// </summary>
    public static int Pick(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty) throw new ArgumentException("Logits must not be empty.", nameof(logits));
        float best = logits[0];
        if (float.IsNaN(best)) return 0;
        int i = 0;
        ref float start = ref MemoryMarshal.GetReference(logits);
        if (Vector256.IsHardwareAccelerated && logits.Length >= 2 * Vector256<float>.Count)
        {
            // Lane-wise "keep the larger": a comparison with NaN is false, so NaNs are skipped as in the scalar rule.
            var max = Vector256.Create(best);
            for (; i + Vector256<float>.Count <= logits.Length; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                max = Vector256.ConditionalSelect(Vector256.GreaterThan(v, max), v, max);
            }
            for (int lane = 0; lane < Vector256<float>.Count; lane++)
                if (max[lane] > best) best = max[lane];
        }
        for (; i < logits.Length; i++)
            if (logits[i] > best) best = logits[i];
        return FirstEqual(logits, best);
    }

    // First index holding a value equal to best (−0 equals +0, as for the scalar rule's ">").
    private static int FirstEqual(ReadOnlySpan<float> logits, float best)
    {
        int i = 0;
        ref float start = ref MemoryMarshal.GetReference(logits);
        if (Vector256.IsHardwareAccelerated)
        {
            var target = Vector256.Create(best);
            for (; i + Vector256<float>.Count <= logits.Length; i += Vector256<float>.Count)
            {
                uint hits = Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)i), target).ExtractMostSignificantBits();
                if (hits != 0) return i + BitOperations.TrailingZeroCount(hits);
            }
        }
        for (; i < logits.Length; i++)
            if (logits[i] == best) return i;
        throw new InvalidOperationException("unreachable: the maximum is one of the logits");
    }

    public void Accept(int token)
    {
    }

    public void Reset()
    {
    }
}

/// <summary>
/// Divides logits by the temperature. A temperature ≤ 0 keeps only the first maximum (others become −∞), as
/// llama.cpp's temp sampler does, so a following distribution sampler can only pick the argmax.
/// </summary>
public sealed class TemperatureSampler(float temperature) : ISampler
{
    public float Temperature { get; } = float.IsNaN(temperature)
        ? throw new ArgumentOutOfRangeException(nameof(temperature), "Temperature must be a number.")
        : temperature;

    public void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        Span<TokenCandidate> span = candidates.Span;
        if (span.IsEmpty)
        {
            return;
        }

        if (Temperature <= 0)
        {
            int keep = CandidateOps.ArgMaxFirst(span);
            for (int i = 0; i < span.Length; i++)
            {
                if (i != keep)
                {
                    span[i].Logit = float.NegativeInfinity;
                }
            }

            return;
        }

        float inv = 1f / Temperature;
        foreach (ref TokenCandidate t in span)
        {
            t.Logit *= inv;
        }
    }

    public void Accept(int token)
    {
    }

    public void Reset()
    {
    }
}

/// <summary>Keeps the k candidates with the largest logits, sorted descending. k ≤ 0 disables it (llama.cpp).</summary>
public sealed class TopKSampler(int k) : ISampler
{
    public int K { get; } = k;

    public void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (K <= 0 || candidates.Count == 0)
        {
            return;
        }

        int keep = Math.Min(K, candidates.Count);
        CandidateOps.PartialSortDescending(candidates, keep);
        candidates.Truncate(keep);
        candidates.IsSorted = true;
    }

    public void Accept(int token)
    {
    }

    public void Reset()
    {
    }
}

/// <summary>
/// Nucleus sampling (llama.cpp semantics): softmax over the current candidates, sort descending, keep the smallest
/// prefix whose cumulative probability reaches p (at least one token). p ≥ 1 disables it.
/// Before sorting, candidates with probability below (1 − p)/(n − 1) are moved out of the way (llama2.c's
/// prefilter): such a token can never be inside the nucleus, because it and everything after it would sum to less
/// than 1 − p. This turns a sort of the whole vocabulary into a sort of a few hundred entries.
/// </summary>
public sealed class TopPSampler(float p) : ISampler
{
    public float P { get; } = p;

    public void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (P >= 1f || candidates.Count == 0)
        {
            return;
        }

        int total = candidates.Count;
        CandidateOps.Softmax(candidates.Span);
        if (!candidates.IsSorted && total > 1)
        {
            int kept = PartitionLikelyCandidates(candidates.Span, (1f - P) / (total - 1));
            candidates.Truncate(kept);
            CandidateOps.SortDescending(candidates);
            if (kept == 0 || !CutAtNucleus(candidates))
            {
                // Rounding kept the filtered mass below p (or filtered everything): fall back to all candidates.
                candidates.Restore(total);
                candidates.IsSorted = false;
                CandidateOps.SortDescending(candidates);
                CutAtNucleus(candidates);
            }

            return;
        }

        CandidateOps.SortDescending(candidates);
        CutAtNucleus(candidates);
    }

    /// <summary>Moves candidates with probability ≥ cutoff to the front (swapping, so nothing is lost). Returns how many.</summary>
    private static int PartitionLikelyCandidates(Span<TokenCandidate> span, float cutoff)
    {
        int kept = 0;
        for (int i = 0; i < span.Length; i++)
        {
            if (span[i].Probability >= cutoff)
            {
                (span[kept], span[i]) = (span[i], span[kept]);
                kept++;
            }
        }

        return kept;
    }

    /// <summary>Truncates a sorted list after the first prefix whose cumulative probability reaches p; false if none does.</summary>
    private bool CutAtNucleus(TokenCandidates candidates)
    {
        ReadOnlySpan<TokenCandidate> span = candidates.Span;
        float cumulative = 0f;
        for (int i = 0; i < span.Length; i++)
        {
            cumulative += span[i].Probability;
            if (cumulative >= P)
            {
                candidates.Truncate(i + 1);
                return true;
            }
        }

        return false;
    }

    public void Accept(int token)
    {
    }

    public void Reset()
    {
    }
}

/// <summary>
/// Min-p (llama.cpp semantics): keeps candidates whose probability is at least p times the top probability, i.e.
/// whose logit ≥ max logit + ln p. Order is preserved. p ≤ 0 disables it.
/// </summary>
public sealed class MinPSampler(float p) : ISampler
{
    public float P { get; } = p;

    public void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (P <= 0f || candidates.Count == 0)
        {
            return;
        }

        Span<TokenCandidate> span = candidates.Span;
        float max = float.NegativeInfinity;
        foreach (ref readonly TokenCandidate t in span)
        {
            max = MathF.Max(max, t.Logit);
        }

        float minLogit = max + MathF.Log(P);
        int kept = 0;
        for (int i = 0; i < span.Length; i++)
        {
            if (span[i].Logit >= minLogit)
            {
                span[kept++] = span[i];   // stable compaction keeps the sorted order if there was one
            }
        }

        if (kept > 0)
        {
            candidates.Truncate(kept);
        }
    }

    public void Accept(int token)
    {
    }

    public void Reset()
    {
    }
}

/// <summary>
/// Draws one candidate from softmax(logits) with a seeded <see cref="Xoshiro256StarStar"/> generator, so a seed
/// makes the run repeatable. <see cref="Reset"/> restarts the stream from the seed.
/// </summary>
public sealed class DistributionSampler : ISampler
{
    private Xoshiro256StarStar _rng;

    public DistributionSampler(ulong seed)
    {
        Seed = seed;
        _rng = new Xoshiro256StarStar(seed);
    }

    public ulong Seed { get; }

    public void Apply(TokenCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        Span<TokenCandidate> span = candidates.Span;
        if (span.IsEmpty)
        {
            candidates.Selected = -1;
            return;
        }

        CandidateOps.Softmax(span);
        double u = _rng.NextDouble();
        double cumulative = 0;
        for (int i = 0; i < span.Length; i++)
        {
            cumulative += span[i].Probability;
            if (u < cumulative)
            {
                candidates.Selected = i;
                return;
            }
        }

        // u landed in the rounding gap above the float sum: take the last token with non-zero probability.
        int last = span.Length - 1;
        while (last > 0 && span[last].Probability == 0f)
        {
            last--;
        }

        candidates.Selected = last;
    }

    public void Accept(int token)
    {
    }

    public void Reset()
    {
        _rng = new Xoshiro256StarStar(Seed);
    }
}
