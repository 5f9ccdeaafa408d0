using System.Text.RegularExpressions;

namespace DeepSharp.Tokenizers.PreTokenization;

/// <summary>
/// Splits text into pre-tokens with a sequence of regexes, as Hugging Face's <c>Sequence</c> of <c>Split</c>
/// pre-tokenizers with behaviour <c>Isolated</c> (and llama.cpp's <c>unicode_regex_split</c>): each regex runs over
/// every piece the previous one produced; its matches and the gaps between them all become pieces.
/// Immutable and thread-safe.
/// </summary>
internal sealed class RegexPreTokenizer
{
    private readonly Regex[] _stages;
    private readonly bool _useCodePointProxy;

    /// <param name="name">The name shown in messages (a <c>tokenizer.ggml.pre</c> value or "tokenizer.json").</param>
    /// <param name="stages">The regexes, applied in order.</param>
    /// <param name="useCodePointProxy">
    /// Match on <see cref="CodePointProxy"/> strings so astral characters count as one character of their category;
    /// false only for regexes that spell astral ranges out as surrogate pairs themselves.
    /// </param>
    /// <param name="addPrefixSpace">Prepend a space to each piece that does not start with one (HF ByteLevel option).</param>
    public RegexPreTokenizer(string name, Regex[] stages, bool useCodePointProxy = true, bool addPrefixSpace = false)
    {
        Name = name;
        _stages = stages;
        _useCodePointProxy = useCodePointProxy;
        AddPrefixSpace = addPrefixSpace;
    }

    public string Name { get; }

    public bool AddPrefixSpace { get; }

    public IReadOnlyList<Regex> Stages => _stages;

    /// <summary>Appends the pieces of text to pieces, as (start, length) ranges of text, in order, covering it.</summary>
    public void Split(string text, List<(int Start, int Length)> pieces)
    {
        if (text.Length == 0) return;
        string subject = text;
        int[]? offsets = null;
        if (_useCodePointProxy && CodePointProxy.IsNeeded(text)) (subject, offsets) = CodePointProxy.Build(text);

        var current = new List<(int Start, int End)> { (0, subject.Length) };
        var next = new List<(int Start, int End)>();
        foreach (var regex in _stages)
        {
            next.Clear();
            foreach (var (start, end) in current) SplitIsolated(regex, subject, start, end, next);
            (current, next) = (next, current);
        }
        foreach (var (start, end) in current)
        {
            int s = offsets is null ? start : offsets[start];
            int e = offsets is null ? end : offsets[end];
            pieces.Add((s, e - s));
        }
    }

    private static void SplitIsolated(Regex regex, string subject, int start, int end, List<(int, int)> output)
    {
        int covered = start;
        foreach (var match in regex.EnumerateMatches(subject.AsSpan(start, end - start)))
        {
            if (match.Length == 0) continue;
            int matchStart = start + match.Index;
            if (matchStart > covered) output.Add((covered, matchStart));
            output.Add((matchStart, matchStart + match.Length));
            covered = matchStart + match.Length;
        }
        if (end > covered) output.Add((covered, end));
    }
}
