using System.Globalization;

namespace DeepSharp.Tokenizers;

/// <summary>Which decoding a vocabulary's normal tokens need.</summary>
internal enum TokenTextEncoding
{
    /// <summary>Byte-level BPE: token text is UTF-8 bytes through the GPT-2 byte map.</summary>
    ByteLevel,
    /// <summary>SentencePiece: token text is plain text with '▁' (U+2581) for space; &lt;0xNN&gt; byte tokens.</summary>
    SentencePiece,
}

/// <summary>
/// The immutable token table: text, type and score of every id, a text → id index, and the bytes each id decodes
/// to. Shared by all encode/decode calls (no per-call state lives here).
/// </summary>
internal sealed class Vocabulary
{
    private readonly string[] _texts;
    private readonly TokenType[] _types;
    private readonly float[]? _scores;
    private readonly byte[][] _pieceBytes;
    private readonly Dictionary<string, int> _idOfText;

    public Vocabulary(string[] texts, TokenType[] types, float[]? scores, TokenTextEncoding encoding)
    {
        if (types.Length != texts.Length)
            throw new TokenizerFormatException($"token_type has {types.Length} entries but tokens has {texts.Length}");
        if (scores is not null && scores.Length != texts.Length)
            throw new TokenizerFormatException($"scores has {scores.Length} entries but tokens has {texts.Length}");
        _texts = texts;
        _types = types;
        _scores = scores;
        Encoding = encoding;
        _idOfText = new Dictionary<string, int>(texts.Length, StringComparer.Ordinal);
        // Where a text occurs twice (padding entries), the first id wins, as in llama.cpp's token_to_id.
        for (int id = 0; id < texts.Length; id++)
        {
            if (types[id] != TokenType.Unused || texts[id].Length > 0) _idOfText.TryAdd(texts[id], id);
        }
        TextLookup = _idOfText.GetAlternateLookup<ReadOnlySpan<char>>();
        _pieceBytes = new byte[texts.Length][];
        for (int id = 0; id < texts.Length; id++) _pieceBytes[id] = ComputePieceBytes(id);
    }

    public int Count => _texts.Length;

    public TokenTextEncoding Encoding { get; }

    /// <summary>Text → id without allocating a string for the key.</summary>
    public Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> TextLookup { get; }

    public string Text(int id) => _texts[id];

    public TokenType Type(int id) => _types[id];

    public float Score(int id) => _scores is null ? 0f : _scores[id];

    public bool IsValid(int id) => (uint)id < (uint)_texts.Length;

    public int? Find(string text) => _idOfText.TryGetValue(text, out int id) ? id : null;

    public int? Find(ReadOnlySpan<char> text) => TextLookup.TryGetValue(text, out int id) ? id : null;

    /// <summary>The bytes id stands for in output text (control and unknown tokens: their text).</summary>
    public ReadOnlySpan<byte> PieceBytes(int id) => _pieceBytes[id];

    /// <summary>Ids of every control, user-defined and unknown token: the strings matched whole in input text.</summary>
    public IEnumerable<int> SpecialIds()
    {
        for (int id = 0; id < _texts.Length; id++)
        {
            if (_types[id] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown && _texts[id].Length > 0)
                yield return id;
        }
    }

    // What llama.cpp's token_to_piece writes for a token (llama-vocab.cpp): added and special tokens as their raw
    // text, normal tokens decoded (byte map or ▁→space), SentencePiece byte tokens as their byte, unused as nothing.
    private byte[] ComputePieceBytes(int id)
    {
        string text = _texts[id];
        switch (_types[id])
        {
            case TokenType.Control or TokenType.UserDefined or TokenType.Unknown:
                return System.Text.Encoding.UTF8.GetBytes(text);
            case TokenType.Byte when Encoding == TokenTextEncoding.SentencePiece:
                return ParseByteToken(text) is byte b ? [b] : System.Text.Encoding.UTF8.GetBytes(text);
            case TokenType.Normal or TokenType.Undefined or TokenType.Byte:
                return Encoding == TokenTextEncoding.ByteLevel
                    ? ByteLevelMapping.Decode(text) ?? System.Text.Encoding.UTF8.GetBytes(text)
                    : System.Text.Encoding.UTF8.GetBytes(text.Replace('\u2581', ' '));
            default:
                return [];
        }
    }

    /// <summary>The byte of a SentencePiece byte token "&lt;0xNN&gt;", or null.</summary>
    public static byte? ParseByteToken(string text)
    {
        if (text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
            && byte.TryParse(text.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            return b;
        return null;
    }

    /// <summary>"&lt;0xNN&gt;" for a byte, as SentencePiece names its byte-fallback pieces.</summary>
    public static string ByteTokenText(byte b) => string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>");
}
