namespace DeepSharp.Tokenizers;

/// <summary>A run of input text: raw text to pre-tokenize, or one special/added token matched whole.</summary>
internal readonly record struct Fragment(int Start, int Length, int TokenId)
{
    public bool IsToken => TokenId >= 0;
}

/// <summary>
/// Splits input on exact occurrences of special token strings before pre-tokenization (llama.cpp
/// <c>tokenizer_st_partition</c>; Hugging Face added tokens). User-defined (added) tokens always match; control and
/// unknown tokens match only when special parsing is on. At each position the longest token wins, scanning left to
/// right (Hugging Face's leftmost-longest; llama.cpp matches the longest token text first across the whole input,
/// which differs only for overlapping token strings). A token marked lstrip/rstrip also swallows the whitespace
/// before/after it (llama.cpp LLAMA_TOKEN_ATTR_LSTRIP/RSTRIP; Hugging Face added-token lstrip/rstrip). Immutable.
/// </summary>
internal sealed class SpecialTokenMatcher
{
    private readonly Dictionary<char, Candidate[]> _byFirstChar;

    public SpecialTokenMatcher(Vocabulary vocab, IReadOnlyDictionary<int, TokenStrip>? strip = null)
    {
        var groups = new Dictionary<char, List<Candidate>>();
        foreach (int id in vocab.SpecialIds())
        {
            string text = vocab.Text(id);
            bool onlyWhenParsingSpecial = vocab.Type(id) != TokenType.UserDefined;
            if (!groups.TryGetValue(text[0], out var list)) groups[text[0]] = list = [];
            var sides = strip is not null && strip.TryGetValue(id, out var st) ? st : TokenStrip.None;
            list.Add(new Candidate(text, id, onlyWhenParsingSpecial, sides));
        }
        _byFirstChar = groups.ToDictionary(
            g => g.Key,
            g => g.Value.OrderByDescending(c => c.Text.Length).ThenBy(c => c.Id).ToArray());
    }

    /// <summary>Appends the fragments of text (no empty raw fragments; none at all for empty text).</summary>
    public void Partition(string text, bool parseSpecial, List<Fragment> output)
    {
        int rawStart = 0, i = 0;
        while (i < text.Length)
        {
            var match = _byFirstChar.Count == 0 ? null : Match(text, i, parseSpecial);
            if (match is not { } candidate)
            {
                i++;
                continue;
            }
            int rawEnd = i;
            if (candidate.Strip.HasFlag(TokenStrip.Left))
            {
                while (rawEnd > rawStart && IsSpace(text[rawEnd - 1])) rawEnd--;
            }
            if (rawEnd > rawStart) output.Add(new Fragment(rawStart, rawEnd - rawStart, -1));
            output.Add(new Fragment(i, candidate.Text.Length, candidate.Id));
            i += candidate.Text.Length;
            if (candidate.Strip.HasFlag(TokenStrip.Right))
            {
                while (i < text.Length && IsSpace(text[i])) i++;
            }
            rawStart = i;
        }
        if (text.Length > rawStart) output.Add(new Fragment(rawStart, text.Length - rawStart, -1));
    }

    private Candidate? Match(string text, int position, bool parseSpecial)
    {
        if (!_byFirstChar.TryGetValue(text[position], out var candidates)) return null;
        var rest = text.AsSpan(position);
        foreach (var c in candidates)
        {
            if (c.OnlyWhenParsingSpecial && !parseSpecial) continue;
            if (rest.StartsWith(c.Text, StringComparison.Ordinal)) return c;
        }
        return null;
    }

    /// <summary>C isspace, as llama.cpp strips: space, \t, \n, \v, \f, \r.</summary>
    private static bool IsSpace(char c) => c is ' ' or (>= '\t' and <= '\r');

    private sealed record Candidate(string Text, int Id, bool OnlyWhenParsingSpecial, TokenStrip Strip);
}

/// <summary>Which side's whitespace a special token swallows when matched in text.</summary>
[Flags]
internal enum TokenStrip
{
    None = 0,
    Left = 1,
    Right = 2,
}
