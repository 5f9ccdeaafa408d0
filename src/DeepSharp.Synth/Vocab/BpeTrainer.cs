using System.Text.RegularExpressions;

namespace DeepSharp.Synth;

/// <summary>
/// Learns byte-level BPE merges from a small text, deterministically: pre-tokenize with the model's regex, map bytes
/// to GPT-2's alphabet, then repeatedly merge the most frequent adjacent pair (ties: ordinal order of the pair) until
/// no pair occurs twice or the merge budget is spent. Enough to make common English and maths words single tokens.
/// </summary>
internal static partial class BpeTrainer
{
    // Qwen2 / deepseek-r1-qwen (single digits) and llama-bpe (digit runs of up to 3): the original Hugging Face regexes.
    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Qwen2Split();

    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Llama3Split();

    public static Regex SplitterFor(string preTokenizer) => preTokenizer switch
    {
        "qwen2" or "deepseek-r1-qwen" => Qwen2Split(),
        "llama-bpe" => Llama3Split(),
        _ => throw new ArgumentException($"No pre-tokenizer regex for '{preTokenizer}'.", nameof(preTokenizer)),
    };

    /// <summary>Returns up to <paramref name="maxMerges"/> merges as (left, right) pairs, in rank order.</summary>
    public static List<(string Left, string Right)> Train(string text, Regex splitter, int maxMerges)
    {
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match m in splitter.Matches(text))
        {
            string word = ByteLevel.Encode(m.Value);
            wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;
        }

        // Each distinct word as a list of symbols, with its count; sorted so the result never depends on hash order.
        List<(List<string> Symbols, int Count)> words = [.. wordCounts
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (kv.Key.Select(c => c.ToString()).ToList(), kv.Value))];

        var merges = new List<(string, string)>();
        while (merges.Count < maxMerges)
        {
            (string Left, string Right)? best = MostFrequentPair(words);
            if (best is null)
            {
                break;
            }

            merges.Add(best.Value);
            foreach ((List<string> symbols, _) in words)
            {
                ApplyMerge(symbols, best.Value.Left, best.Value.Right);
            }
        }

        return merges;
    }

    private static (string, string)? MostFrequentPair(List<(List<string> Symbols, int Count)> words)
    {
        var pairCounts = new Dictionary<(string, string), int>();
        foreach ((List<string> symbols, int count) in words)
        {
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + count;
            }
        }

        (string, string)? best = null;
        int bestCount = 1;   // a pair must occur at least twice to be worth a token
        foreach (((string l, string r) pair, int count) in pairCounts)
        {
            if (count > bestCount || (count == bestCount && best is not null && ComparePairs(pair, best.Value) < 0))
            {
                best = pair;
                bestCount = count;
            }
        }

        return best;
    }

    private static int ComparePairs((string L, string R) a, (string L, string R) b)
    {
        int c = string.CompareOrdinal(a.L, b.L);
        return c != 0 ? c : string.CompareOrdinal(a.R, b.R);
    }

    private static void ApplyMerge(List<string> symbols, string left, string right)
    {
        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            if (symbols[i] == left && symbols[i + 1] == right)
            {
                symbols[i] = left + right;
                symbols.RemoveAt(i + 1);
            }
        }
    }
}
