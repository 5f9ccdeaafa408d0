using System.Reflection;
using System.Text.RegularExpressions;

namespace DeepSharp.Synth;

/// <summary>A complete GGUF byte-level BPE vocabulary: token strings and types by id, merges by rank, special ids.</summary>
public sealed class SynthVocab
{
    private SynthVocab(string[] tokens, TokenType[] types, string[] merges, int bos, int eos, int pad)
    {
        Tokens = tokens;
        Types = types;
        Merges = merges;
        BosId = bos;
        EosId = eos;
        PadId = pad;
    }

    public IReadOnlyList<string> Tokens { get; }

    public IReadOnlyList<TokenType> Types { get; }

    /// <summary>"left right" strings, rank = index (tokenizer.ggml.merges).</summary>
    public IReadOnlyList<string> Merges { get; }

    public int BosId { get; }

    public int EosId { get; }

    public int PadId { get; }

    /// <summary>
    /// Builds the vocabulary for a shape: from a Hugging Face tokenizer.json when given (its tokens and merges), else
    /// synthesized (256 byte tokens, merges learned from <paramref name="mergeText"/> or the built-in text, filler).
    /// Either way the shape's special tokens are placed at their ids, replacing whatever was there and any other copy
    /// of the same text.
    /// </summary>
    public static SynthVocab Build(SynthShape shape, string? tokenizerJsonPath = null, string? mergeText = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var tokens = new string?[shape.NVocab];
        var types = new TokenType[shape.NVocab];
        string[] merges = tokenizerJsonPath is null
            ? Synthesize(shape, tokens, types, mergeText ?? ReadResource("bpe-training-text.txt"))
            : HfTokenizerJson.Load(tokenizerJsonPath, tokens, types);

        PlaceSpecials(shape, tokens, types);
        for (int id = 0; id < tokens.Length; id++)
        {
            if (tokens[id] is null)
            {
                tokens[id] = $"[PAD{id}]";   // what llama.cpp's converter writes for ids the tokenizer does not define
                types[id] = TokenType.Unused;
            }
        }

        int at(int offset) => shape.SpecialBase + offset;
        return new SynthVocab(tokens!, types, merges, at(shape.Specials.BosOffset), at(shape.Specials.EosOffset), at(shape.Specials.PadOffset));
    }

    private static string[] Synthesize(SynthShape shape, string?[] tokens, TokenType[] types, string mergeText)
    {
        int id = 0;
        foreach (string b in ByteLevel.ByteTokens())
        {
            tokens[id] = b;
            types[id++] = TokenType.Normal;
        }

        var known = new HashSet<string>(tokens[..id]!, StringComparer.Ordinal);
        var merges = new List<string>();
        foreach ((string left, string right) in LearnedMerges(shape.Specials.PreTokenizer, shape.SpecialBase - id, mergeText))
        {
            merges.Add($"{left} {right}");
            if (known.Add(left + right))   // two merges can produce the same string; it is one token
            {
                tokens[id] = left + right;
                types[id++] = TokenType.Normal;
            }
        }

        FillWithPseudoWords(tokens, types, id, shape.SpecialBase, known);
        return [.. merges];
    }

    /// <summary>
    /// Fills the ordinary ids after the learned tokens with unique pronounceable pseudo-words (" kabo", "tesu"), normal
    /// tokens that no merge produces. A random-weight model samples mostly from these, so its streamed output reads as
    /// text; unused [PAD] tokens would decode to nothing.
    /// </summary>
    private static void FillWithPseudoWords(string?[] tokens, TokenType[] types, int from, int to, HashSet<string> known)
    {
        const string consonants = "bdfgklmnprstvz";
        const string vowels = "aeiou";
        int syllables = consonants.Length * vowels.Length;
        for (int n = 0, id = from; id < to; n++)
        {
            var word = new System.Text.StringBuilder(n % 2 == 0 ? "Ġ" : string.Empty);   // half with a leading space
            for (int k = (n / 2) + syllables; k > 0; k /= syllables)
            {
                int syllable = k % syllables;
                word.Append(consonants[syllable / vowels.Length]).Append(vowels[syllable % vowels.Length]);
            }

            if (known.Add(word.ToString()))
            {
                tokens[id] = word.ToString();
                types[id++] = TokenType.Normal;
            }
        }
    }

    // Training takes a moment and its result depends only on the regex and the budget: learn once per process.
    private static readonly Dictionary<(string, int, string), List<(string, string)>> MergeCache = [];

    private static List<(string Left, string Right)> LearnedMerges(string preTokenizer, int maxMerges, string text)
    {
        lock (MergeCache)
        {
            if (!MergeCache.TryGetValue((preTokenizer, maxMerges, text), out List<(string, string)>? merges))
            {
                Regex splitter = BpeTrainer.SplitterFor(preTokenizer);
                merges = BpeTrainer.Train(text, splitter, maxMerges);
                MergeCache[(preTokenizer, maxMerges, text)] = merges;
            }

            return merges;
        }
    }

    private static void PlaceSpecials(SynthShape shape, string?[] tokens, TokenType[] types)
    {
        var specialIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int offset = 0; offset < shape.Specials.BlockSize; offset++)
        {
            (string text, TokenType type) = shape.Specials.At(offset);
            tokens[shape.SpecialBase + offset] = text;
            types[shape.SpecialBase + offset] = type;
            specialIds[text] = shape.SpecialBase + offset;
        }

        // A tokenizer.json of a sibling model may hold the same special text at another id (Qwen3's <think> is 151667).
        for (int id = 0; id < tokens.Length; id++)
        {
            if (tokens[id] is { } t && specialIds.TryGetValue(t, out int real) && real != id)
            {
                tokens[id] = null;
            }
        }
    }

    internal static string ReadResource(string name)
    {
        Assembly asm = typeof(SynthVocab).Assembly;
        using Stream stream = asm.GetManifestResourceStream($"DeepSharp.Synth.Resources.{name}")
            ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from {asm.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
