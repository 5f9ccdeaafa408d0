using DeepSharp.Gguf;
using DeepSharp.Tokenizers.PreTokenization;

namespace DeepSharp.Tokenizers;

/// <summary>
/// Builds a tokenizer from GGUF <c>tokenizer.ggml.*</c> metadata with llama.cpp's defaults (llama-vocab.cpp
/// <c>llama_vocab::impl::load</c>; key list in /work/shared/spec/DEEPSEEK.md §C.1).
/// </summary>
internal static class GgufTokenizerLoader
{
    private const string Prefix = "tokenizer.ggml.";

    public static TokenizerParts Load(GgufMetadata md)
    {
        ArgumentNullException.ThrowIfNull(md);
        string model = md.GetString(Prefix + "model");
        return model switch
        {
            "gpt2" => LoadBytePairs(md),
            "llama" => LoadSentencePiece(md),
            _ => throw new TokenizerFormatException(
                $"tokenizer.ggml.model = '{model}' is not supported; supported: gpt2 (byte-level BPE), llama (SentencePiece BPE)"),
        };
    }

    private static TokenizerParts LoadBytePairs(GgufMetadata md)
    {
        string pre = md.GetStringOrNull(Prefix + "pre") ?? "default";
        var choice = PreTokenizerCatalog.Get(pre);
        var (texts, types) = ReadTokens(md);
        var special = SpecialTokens.Resolve(texts, types, ReadGivenIds(md, defaults: null));
        var vocab = new Vocabulary(texts, types, null, TokenTextEncoding.ByteLevel);
        var merges = ReadMerges(md.GetStringArray(Prefix + "merges"));
        return new TokenizerParts(
            "gpt2", vocab, special,
            new BytePairEncoder(vocab, merges, choice.IgnoreMerges), choice.PreTokenizer, null,
            AddBos: md.GetBoolOrDefault(Prefix + "add_bos_token", choice.AddBosByDefault),
            AddEos: md.GetBoolOrDefault(Prefix + "add_eos_token", false),
            AddSpacePrefix: md.GetBoolOrDefault(Prefix + "add_space_prefix", false),
            Strip: StripByModelName(md, vocab));
    }

    private static TokenizerParts LoadSentencePiece(GgufMetadata md)
    {
        var (texts, types) = ReadTokens(md);
        float[]? scores = md.ContainsKey(Prefix + "scores") ? md.GetFloatArray(Prefix + "scores") : null;
        // llama.cpp's SentencePiece defaults: <unk> 0, <s> 1, </s> 2.
        var special = SpecialTokens.Resolve(texts, types, ReadGivenIds(md, defaults: (1, 2, 0)));
        var vocab = new Vocabulary(texts, types, scores, TokenTextEncoding.SentencePiece);
        return new TokenizerParts(
            "llama", vocab, special, null, null, new SentencePieceEncoder(vocab, special.Unknown),
            AddBos: md.GetBoolOrDefault(Prefix + "add_bos_token", true),
            AddEos: md.GetBoolOrDefault(Prefix + "add_eos_token", false),
            AddSpacePrefix: md.GetBoolOrDefault(Prefix + "add_space_prefix", true),
            Strip: StripByModelName(md, vocab));
    }

    private static (string[] Texts, TokenType[] Types) ReadTokens(GgufMetadata md)
    {
        string[] texts = md.GetStringArray(Prefix + "tokens");
        var types = new TokenType[texts.Length];
        if (md.ContainsKey(Prefix + "token_type"))
        {
            int[] raw = md.GetInt32Array(Prefix + "token_type");
            if (raw.Length != texts.Length)
                throw new TokenizerFormatException(
                    $"tokenizer.ggml.token_type has {raw.Length} entries but tokenizer.ggml.tokens has {texts.Length}");
            for (int i = 0; i < raw.Length; i++)
                types[i] = raw[i] is >= 0 and <= 6 ? (TokenType)raw[i] : TokenType.Undefined;
        }
        else
        {
            Array.Fill(types, TokenType.Normal);
        }
        return (texts, types);
    }

    private static SpecialTokens.Given ReadGivenIds(GgufMetadata md, (int Bos, int Eos, int Unknown)? defaults)
    {
        // -1 (often stored as u32 0xFFFFFFFF, as in stories260K's padding id) means "none"; llama.cpp likewise
        // ignores an id outside the vocabulary and keeps the default.
        int? Id(string name, int? dflt = null)
        {
            if (!md.ContainsKey(Prefix + name)) return dflt;
            long id = md.GetInt64(Prefix + name);
            return id is >= 0 and < int.MaxValue ? (int)id : dflt;
        }
        return new SpecialTokens.Given(
            Bos: Id("bos_token_id", defaults?.Bos), Eos: Id("eos_token_id", defaults?.Eos),
            Eot: Id("eot_token_id"), Eom: Id("eom_token_id"), Unknown: Id("unknown_token_id", defaults?.Unknown),
            Pad: Id("padding_token_id"), Sep: Id("seperator_token_id"),
            FimPad: Id("fim_pad_token_id"), FimRep: Id("fim_rep_token_id"), FimSep: Id("fim_sep_token_id"));
    }

    /// <summary>
    /// llama.cpp sets whitespace stripping by model name: Phi-3's special tokens swallow the whitespace after them,
    /// except &lt;unk&gt;, &lt;s&gt; and &lt;|endoftext|&gt;; jina-v2's &lt;mask&gt; swallows the whitespace before it.
    /// </summary>
    private static Dictionary<int, TokenStrip>? StripByModelName(GgufMetadata md, Vocabulary vocab)
    {
        string name = (md.GetStringOrNull("general.name") ?? "").ToLowerInvariant();
        string pre = md.GetStringOrNull(Prefix + "pre") ?? "";
        if (pre is "jina-v2-de" or "jina-v2-es" or "jina-v2-code")
            return vocab.Find("<mask>") is int mask ? new() { [mask] = TokenStrip.Left } : null;
        if (!name.Contains("phi-3", StringComparison.Ordinal) && !name.Contains("phi3", StringComparison.Ordinal)) return null;
        var strip = vocab.SpecialIds().ToDictionary(id => id, _ => TokenStrip.Right);
        if (vocab.Find("</s>") is int eos) strip[eos] = TokenStrip.Right;
        foreach (string kept in new[] { "<unk>", "<s>", "<|endoftext|>" })
        {
            if (vocab.Find(kept) is int id) strip.Remove(id);
        }
        return strip;
    }

    /// <summary>Merges are "left right"; the separator is the first space after the first character.</summary>
    internal static List<(string, string)> ReadMerges(string[] merges)
    {
        var result = new List<(string, string)>(merges.Length);
        foreach (string merge in merges)
        {
            int space = merge.Length > 1 ? merge.IndexOf(' ', 1) : -1;
            if (space < 0) throw new TokenizerFormatException($"tokenizer.ggml.merges entry '{merge}' has no space");
            result.Add((merge[..space], merge[(space + 1)..]));
        }
        return result;
    }
}
