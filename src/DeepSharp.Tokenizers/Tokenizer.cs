using System.Text;
using DeepSharp.Gguf;
using DeepSharp.Tokenizers.PreTokenization;

namespace DeepSharp.Tokenizers;

/// <summary>
/// Text ↔ token ids for a GGUF or Hugging Face vocabulary: byte-level BPE (<c>gpt2</c>, with the pre-tokenizer named
/// by <c>tokenizer.ggml.pre</c>) or SentencePiece BPE with byte fallback (<c>llama</c>). Immutable and thread-safe:
/// every call keeps its working state to itself.
/// </summary>
public sealed class Tokenizer
{
    private readonly Vocabulary _vocab;
    private readonly SpecialTokens _special;
    private readonly SpecialTokenMatcher _matcher;
    private readonly BytePairEncoder? _bpe;
    private readonly RegexPreTokenizer? _preTokenizer;
    private readonly SentencePieceEncoder? _spm;
    private readonly bool _normalizeNfc;

    internal Tokenizer(TokenizerParts parts)
    {
        _vocab = parts.Vocabulary;
        _special = parts.Special;
        _bpe = parts.Bpe;
        _preTokenizer = parts.PreTokenizer;
        _spm = parts.SentencePiece;
        _normalizeNfc = parts.NormalizeNfc;
        if ((_bpe is null || _preTokenizer is null) && _spm is null)
            throw new ArgumentException("a tokenizer needs a BPE model with a pre-tokenizer, or a SentencePiece model");
        _matcher = new SpecialTokenMatcher(_vocab, parts.Strip);
        AddBos = parts.AddBos && _special.Bos is not null;
        AddEos = parts.AddEos && _special.Eos is not null;
        AddSpacePrefix = parts.AddSpacePrefix;
        ModelName = parts.ModelName;
        PreTokenizerName = _preTokenizer?.Name;
    }

    /// <summary>Reads a tokenizer from GGUF metadata (<c>tokenizer.ggml.*</c> keys).</summary>
    public static Tokenizer FromGguf(GgufMetadata md) => new(GgufTokenizerLoader.Load(md));

    /// <summary>
    /// Reads a Hugging Face tokenizer.json (byte-level BPE). BOS/EOS and add_bos/add_eos come from
    /// tokenizer_config.json: the given path, else the file of that name beside tokenizer.json when it exists.
    /// </summary>
    public static Tokenizer FromHuggingFaceJson(string tokenizerJsonPath, string? tokenizerConfigPath = null) =>
        new(HuggingFaceJsonLoader.Load(tokenizerJsonPath, tokenizerConfigPath));

    /// <summary>"gpt2" (byte-level BPE) or "llama" (SentencePiece BPE), as in <c>tokenizer.ggml.model</c>.</summary>
    public string ModelName { get; }

    /// <summary>The pre-tokenizer name (<c>tokenizer.ggml.pre</c>), or null for SentencePiece.</summary>
    public string? PreTokenizerName { get; }

    public int VocabSize => _vocab.Count;
    public int? Bos => _special.Bos;
    public int? Eos => _special.Eos;
    /// <summary>End of turn: given, or found by text as llama.cpp does (e.g. "&lt;｜end▁of▁sentence｜&gt;").</summary>
    public int? Eot => _special.Eot;
    public int? Pad => _special.Pad;
    public int? Unknown => _special.Unknown;
    /// <summary>Tokens that end generation, formed as llama.cpp forms its EOG set.</summary>
    public IReadOnlySet<int> EndOfGeneration => _special.EndOfGeneration;
    /// <summary>Whether Encode with addSpecial prepends BOS.</summary>
    public bool AddBos { get; }
    /// <summary>Whether Encode with addSpecial appends EOS.</summary>
    public bool AddEos { get; }
    /// <summary>SentencePiece: a space is put before text that starts the input or follows a special token.</summary>
    public bool AddSpacePrefix { get; }

    /// <summary>
    /// Token ids of text. addSpecial adds BOS/EOS as the vocabulary asks; parseSpecial lets control tokens written
    /// in the text (e.g. "&lt;｜User｜&gt;") become their ids. Added (user-defined) tokens always match.
    /// </summary>
    public int[] Encode(string text, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 2);
        if (addSpecial && AddBos) output.Add(_special.Bos!.Value);
        var fragments = new List<Fragment>();
        _matcher.Partition(text, parseSpecial, fragments);
        var session = new EncodeSession();
        bool previousWasSpecial = true;
        foreach (var fragment in fragments)
        {
            if (fragment.IsToken)
            {
                output.Add(fragment.TokenId);
                previousWasSpecial = true;
                continue;
            }
            string raw = text.Substring(fragment.Start, fragment.Length);
            if (_normalizeNfc) raw = raw.Normalize(NormalizationForm.FormC);
            if (_spm is not null) EncodeSentencePiece(raw, previousWasSpecial, output);
            else EncodeBytePairs(raw, output, session);
            previousWasSpecial = false;
        }
        if (addSpecial && AddEos) output.Add(_special.Eos!.Value);
        return [.. output];
    }

    private void EncodeSentencePiece(string raw, bool previousWasSpecial, List<int> output)
    {
        // llama.cpp: prefix a space at the start and after special tokens, then escape spaces as '▁'.
        string text = AddSpacePrefix && previousWasSpecial ? " " + raw : raw;
        _spm!.Encode(text.Replace(' ', SentencePieceEncoder.SpaceMarker), output);
    }

    private void EncodeBytePairs(string raw, List<int> output, EncodeSession session)
    {
        session.Pieces.Clear();
        _preTokenizer!.Split(raw, session.Pieces);
        foreach (var (start, length) in session.Pieces)
        {
            var piece = raw.AsSpan(start, length);
            if (_preTokenizer.AddPrefixSpace && piece[0] != ' ') _bpe!.Encode(" " + piece.ToString(), output, session.Bpe);
            else _bpe!.Encode(piece, output, session.Bpe);
        }
    }

    /// <summary>
    /// Text of ids. renderSpecial=false drops control tokens (and a leading BOS). SentencePiece's added prefix space
    /// is removed from the first token, as llama.cpp's detokenize does. Invalid UTF-8 becomes U+FFFD.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool renderSpecial = true)
    {
        var bytes = new List<byte>(ids.Length * 4);
        bool removeSpace = _spm is not null && AddSpacePrefix;
        if (!renderSpecial && AddBos && ids.Length > 0 && ids[0] == _special.Bos)
        {
            removeSpace = false; // llama.cpp keeps the space when it drops BOS
            ids = ids[1..];
        }
        foreach (int id in ids)
        {
            CheckId(id);
            if (renderSpecial || _vocab.Type(id) != TokenType.Control)
            {
                var piece = _vocab.PieceBytes(id);
                if (removeSpace && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
                bytes.AddRange(piece);
            }
            removeSpace = false;
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>The bytes id stands for in text (special tokens as their text).</summary>
    public byte[] TokenBytes(int id)
    {
        CheckId(id);
        return _vocab.PieceBytes(id).ToArray();
    }

    /// <summary>The token's text as stored in the vocabulary (byte-mapped for byte-level BPE, '▁' for SentencePiece).</summary>
    public string TokenText(int id)
    {
        CheckId(id);
        return _vocab.Text(id);
    }

    public TokenType GetTokenType(int id)
    {
        CheckId(id);
        return _vocab.Type(id);
    }

    /// <summary>The id of the token whose stored text is exactly text.</summary>
    public int? FindToken(string text) => _vocab.Find(text);

    public bool IsControl(int id) => GetTokenType(id) == TokenType.Control;

    public bool IsEndOfGeneration(int id) => _special.EndOfGeneration.Contains(id);

    private void CheckId(int id)
    {
        if (!_vocab.IsValid(id))
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_vocab.Count}");
    }

    private sealed class EncodeSession
    {
        public List<(int Start, int Length)> Pieces { get; } = [];
        public BpeScratch Bpe { get; } = new();
    }
}

/// <summary>Everything a <see cref="Tokenizer"/> is made of, as a loader assembles it.</summary>
internal sealed record TokenizerParts(
    string ModelName,
    Vocabulary Vocabulary,
    SpecialTokens Special,
    BytePairEncoder? Bpe,
    RegexPreTokenizer? PreTokenizer,
    SentencePieceEncoder? SentencePiece,
    bool AddBos,
    bool AddEos,
    bool AddSpacePrefix,
    bool NormalizeNfc = false,
    IReadOnlyDictionary<int, TokenStrip>? Strip = null);
