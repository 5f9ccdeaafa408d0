using System.Text.RegularExpressions;

namespace DeepSharp.Tokenizers.PreTokenization;

/// <summary>
/// The pre-tokenizer regexes of the Hugging Face tokenizers that llama.cpp names in <c>tokenizer.ggml.pre</c>, in their
/// original Hugging Face form (.NET supports <c>\p{..}</c>, <c>(?!\S)</c> and <c>(?i:..)</c>, so llama.cpp's
/// hand-rewritten variants are not needed). Sources: the <c>pre_tokenizer</c> of each model's tokenizer.json (cited per
/// pattern) and the list of regexes per pre-tokenizer type in llama.cpp <c>src/llama-vocab.cpp</c>
/// (<c>llm_tokenizer_bpe</c>).
/// </summary>
internal static partial class PreTokenizerRegexes
{
    private const RegexOptions Options = RegexOptions.CultureInvariant;

    /// <summary>GPT-2, as Hugging Face's ByteLevel pre-tokenizer (tokenizers pre_tokenizers/byte_level.rs).</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Llama 3 (meta-llama/Meta-Llama-3-8B tokenizer.json); R1-Distill-Llama's <c>llama-bpe</c>.</summary>
    public const string Llama3 =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Qwen2 / R1-Distill-Qwen (Qwen/Qwen2.5 tokenizer.json): as Llama 3 but single digits.</summary>
    public const string Qwen2 =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>DeepSeek-V3 / R1 (deepseek-ai/DeepSeek-V3 tokenizer.json), three Split stages.</summary>
    public const string DeepSeek3Digits = @"\p{N}{1,3}";

    /// <summary>CJK unified ideographs 一-龥, hiragana and katakana runs.</summary>
    public const string DeepSeek3Cjk = "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+";

    public const string DeepSeek3Words =
        @"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^" + "\r\n" + @"\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[" + "\r\n"
        + @"]*|\s*[" + "\r\n" + @"]+|\s+(?!\S)|\s+";

    /// <summary>DeepSeek Coder and DeepSeek LLM (deepseek-ai/deepseek-coder-6.7b-base, deepseek-llm-7b-base).</summary>
    public const string NewLine = @"[\r\n]";

    public const string DeepSeekCoderLetters = @"\s?\p{L}+";
    public const string DeepSeekCoderPunctuation = @"\s?\p{P}+";

    /// <summary>一-龥, ࠀ-一 and 가-퟿ runs.</summary>
    public const string DeepSeekCjk = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";

    /// <summary>
    /// DeepSeek LLM's cased-letter class (llama.cpp <c>LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_LLM</c>), BMP ranges as written
    /// there, and its astral ranges (Deseret, Osage, Old Hungarian, Warang Citi, Adlam) spelled as surrogate pairs
    /// because .NET matches UTF-16 code units. Not checked against a DeepSeek LLM vocabulary (none in the corpora).
    /// </summary>
    public const string DeepSeekLlmLetters =
        @"\s?(?:[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF"
        + @"\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5"
        + @"\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA"
        + @"\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45"
        + @"\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE"
        + @"\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102"
        + @"\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139"
        + @"\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3"
        + @"\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06"
        + @"\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A]"
        + @"|\uD801[\uDC00-\uDC4F\uDCB0-\uDCD3\uDCD8-\uDCFB]|\uD803[\uDC80-\uDCB2\uDCC0-\uDCF2]"
        + @"|\uD806[\uDCA0-\uDCDF]|\uD83A[\uDD00-\uDD43])+";

    /// <summary>ASCII and fullwidth punctuation, ‘-‟ quotes, ideographic space and full stop.</summary>
    public const string DeepSeekLlmPunctuation = @"\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+";

    public const string TrailingWhitespace = @"\s+$";
    public const string DigitRuns = @"\p{N}+";
    public const string SingleDigits = @"\p{N}";

    /// <summary>Hugging Face's Punctuation pre-tokenizer: Unicode P* plus ASCII punctuation of other categories.</summary>
    public const string FalconPunctuation = @"[\p{P}\$\+<=>\^~\|`]+";

    /// <summary>llama.cpp's default (pre-tokenizer-less gpt2 models): the Falcon list without the backtick.</summary>
    public const string DefaultPunctuation = @"[\p{P}\$\+<=>\^~\|]+";

    public const string ThreeDigits = "[0-9][0-9][0-9]";

    /// <summary>BLOOM, Poro, GPT-3 Finnish, Viking (bigscience/bloom tokenizer.json).</summary>
    public const string Bloom = @" ?[^(\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";

    [GeneratedRegex(Gpt2, Options)] public static partial Regex Gpt2Regex();
    [GeneratedRegex(Llama3, Options)] public static partial Regex Llama3Regex();
    [GeneratedRegex(Qwen2, Options)] public static partial Regex Qwen2Regex();
    [GeneratedRegex(DeepSeek3Digits, Options)] public static partial Regex DeepSeek3DigitsRegex();
    [GeneratedRegex(DeepSeek3Cjk, Options)] public static partial Regex DeepSeek3CjkRegex();
    [GeneratedRegex(DeepSeek3Words, Options)] public static partial Regex DeepSeek3WordsRegex();
    [GeneratedRegex(NewLine, Options)] public static partial Regex NewLineRegex();
    [GeneratedRegex(DeepSeekCoderLetters, Options)] public static partial Regex DeepSeekCoderLettersRegex();
    [GeneratedRegex(DeepSeekCoderPunctuation, Options)] public static partial Regex DeepSeekCoderPunctuationRegex();
    [GeneratedRegex(DeepSeekCjk, Options)] public static partial Regex DeepSeekCjkRegex();
    [GeneratedRegex(DeepSeekLlmLetters, Options)] public static partial Regex DeepSeekLlmLettersRegex();
    [GeneratedRegex(DeepSeekLlmPunctuation, Options)] public static partial Regex DeepSeekLlmPunctuationRegex();
    [GeneratedRegex(TrailingWhitespace, Options)] public static partial Regex TrailingWhitespaceRegex();
    [GeneratedRegex(DigitRuns, Options)] public static partial Regex DigitRunsRegex();
    [GeneratedRegex(SingleDigits, Options)] public static partial Regex SingleDigitsRegex();
    [GeneratedRegex(FalconPunctuation, Options)] public static partial Regex FalconPunctuationRegex();
    [GeneratedRegex(DefaultPunctuation, Options)] public static partial Regex DefaultPunctuationRegex();
    [GeneratedRegex(ThreeDigits, Options)] public static partial Regex ThreeDigitsRegex();
    [GeneratedRegex(Bloom, Options)] public static partial Regex BloomRegex();

    /// <summary>The generated regex for a pattern string we know (so tokenizer.json patterns need no compiling).</summary>
    public static Regex? FindGenerated(string pattern) => pattern switch
    {
        Gpt2 => Gpt2Regex(),
        Llama3 => Llama3Regex(),
        Qwen2 => Qwen2Regex(),
        DeepSeek3Digits => DeepSeek3DigitsRegex(),
        DeepSeek3Cjk => DeepSeek3CjkRegex(),
        DeepSeek3Words => DeepSeek3WordsRegex(),
        NewLine => NewLineRegex(),
        DeepSeekCoderLetters => DeepSeekCoderLettersRegex(),
        DeepSeekCoderPunctuation => DeepSeekCoderPunctuationRegex(),
        DeepSeekCjk => DeepSeekCjkRegex(),
        DigitRuns => DigitRunsRegex(),
        SingleDigits => SingleDigitsRegex(),
        ThreeDigits => ThreeDigitsRegex(),
        _ => null,
    };
}
