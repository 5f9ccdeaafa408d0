namespace DeepSharp.Sampling;

/// <summary>Shared candidate-list operations: sorting, partial selection, softmax.</summary>
internal static class CandidateOps
{
    /// <summary>Sorts by descending logit; ties keep the lower token id first so the order is deterministic.</summary>
    private readonly struct DescendingLogit : IComparer<TokenCandidate>
    {
        public int Compare(TokenCandidate x, TokenCandidate y)
        {
            int byLogit = y.Logit.CompareTo(x.Logit);
            return byLogit != 0 ? byLogit : x.Id.CompareTo(y.Id);
        }
    }

    public static void SortDescending(TokenCandidates c)
    {
        if (!c.IsSorted)
        {
            HeapSort(c.Span);
            c.IsSorted = true;
        }
    }

    /// <summary>
    /// Moves the k largest logits to the front, sorted descending, without sorting the whole vocabulary:
    /// a threshold from a quickselect partition, then a sort of only the k head entries.
    /// </summary>
    public static void PartialSortDescending(TokenCandidates c, int k)
    {
        if (c.IsSorted)
        {
            return;
        }

        Span<TokenCandidate> span = c.Span;
        if (k >= span.Length)
        {
            SortDescending(c);
            return;
        }

        SelectTopK(span, k);
        HeapSort(span[..k]);   // the tail stays unsorted, so the list as a whole is not sorted
    }

    /// <summary>
    /// Heapsort into descending order. Span.Sort with a comparer wraps it in a delegate (an allocation per call),
    /// and sampling must not allocate per token; heapsort also has no quadratic worst case.
    /// </summary>
    private static void HeapSort(Span<TokenCandidate> span)
    {
        var cmp = new DescendingLogit();
        int n = span.Length;
        for (int i = (n / 2) - 1; i >= 0; i--)
        {
            SiftDown(span, i, n, cmp);
        }

        for (int end = n - 1; end > 0; end--)
        {
            (span[0], span[end]) = (span[end], span[0]);
            SiftDown(span, 0, end, cmp);
        }
    }

    // Max-heap by the comparer (the element that sorts last is at the root), so popping fills the array from the end.
    private static void SiftDown(Span<TokenCandidate> span, int root, int n, DescendingLogit cmp)
    {
        while (true)
        {
            int child = (2 * root) + 1;
            if (child >= n)
            {
                return;
            }

            if (child + 1 < n && cmp.Compare(span[child + 1], span[child]) > 0)
            {
                child++;
            }

            if (cmp.Compare(span[child], span[root]) <= 0)
            {
                return;
            }

            (span[root], span[child]) = (span[child], span[root]);
            root = child;
        }
    }

    /// <summary>Hoare-style quickselect: afterwards span[..k] holds the k largest (by the comparer), in any order.</summary>
    private static void SelectTopK(Span<TokenCandidate> span, int k)
    {
        var cmp = new DescendingLogit();
        int lo = 0;
        int hi = span.Length - 1;
        while (lo < hi)
        {
            TokenCandidate pivot = MedianOfThree(span, lo, hi, cmp);
            int i = lo;
            int j = hi;
            while (i <= j)
            {
                while (cmp.Compare(span[i], pivot) < 0)
                {
                    i++;
                }

                while (cmp.Compare(span[j], pivot) > 0)
                {
                    j--;
                }

                if (i <= j)
                {
                    (span[i], span[j]) = (span[j], span[i]);
                    i++;
                    j--;
                }
            }

            if (k - 1 <= j)
            {
                hi = j;
            }
            else if (k - 1 >= i)
            {
                lo = i;
            }
            else
            {
                return;
            }
        }
    }

    private static TokenCandidate MedianOfThree(Span<TokenCandidate> span, int lo, int hi, DescendingLogit cmp)
    {
        TokenCandidate a = span[lo];
        TokenCandidate b = span[lo + ((hi - lo) / 2)];
        TokenCandidate c = span[hi];
        if (cmp.Compare(a, b) > 0)
        {
            (a, b) = (b, a);
        }

        if (cmp.Compare(b, c) > 0)
        {
            b = c;
        }

        return cmp.Compare(a, b) > 0 ? a : b;
    }

    /// <summary>Index of the first maximum logit (llama.cpp greedy semantics).</summary>
    public static int ArgMaxFirst(ReadOnlySpan<TokenCandidate> span)
    {
        int best = 0;
        for (int i = 1; i < span.Length; i++)
        {
            if (span[i].Logit > span[best].Logit)
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Writes softmax probabilities into the candidates, subtracting the max for stability. Returns the max logit.</summary>
    public static float Softmax(Span<TokenCandidate> span)
    {
        float max = float.NegativeInfinity;
        foreach (ref readonly TokenCandidate t in span)
        {
            max = MathF.Max(max, t.Logit);
        }

        double sum = 0;
        foreach (ref TokenCandidate t in span)
        {
            float e = MathF.Exp(t.Logit - max);
            t.Probability = e;
            sum += e;
        }

        float inv = (float)(1.0 / sum);
        foreach (ref TokenCandidate t in span)
        {
            t.Probability *= inv;
        }

        return max;
    }
}
