using System.Collections.Frozen;
using System.Text.RegularExpressions;
using R = DeepSharp.Tokenizers.PreTokenization.PreTokenizerRegexes;

namespace DeepSharp.Tokenizers.PreTokenization;

/// <summary>What a <c>tokenizer.ggml.pre</c> name selects: the split regexes and BPE flags (llama.cpp llama-vocab.cpp).</summary>
/// <param name="PreTokenizer">The regex stages.</param>
/// <param name="IgnoreMerges">A pre-token that is itself in the vocabulary is one token, without merging (Llama 3).</param>
/// <param name="AddBosByDefault">llama.cpp's add_bos when the GGUF has no <c>tokenizer.ggml.add_bos_token</c>.</param>
internal sealed record PreTokenizerChoice(RegexPreTokenizer PreTokenizer, bool IgnoreMerges, bool AddBosByDefault);

/// <summary>The <c>tokenizer.ggml.pre</c> names this library knows, grouped as llama.cpp groups them.</summary>
internal static class PreTokenizerCatalog
{
    private static readonly FrozenDictionary<string, Func<string, PreTokenizerChoice>> ByName = Build();

    /// <summary>Every known name, sorted (for error messages and tests).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ByName.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The choice for name; <see cref="TokenizerFormatException"/> listing the known names otherwise.</summary>
    public static PreTokenizerChoice Get(string name) =>
        ByName.TryGetValue(name, out var make)
            ? make(name)
            : throw new TokenizerFormatException(
                $"tokenizer.ggml.pre = '{name}' is not a known pre-tokenizer; known: {string.Join(", ", Names)}");

    private static FrozenDictionary<string, Func<string, PreTokenizerChoice>> Build()
    {
        var map = new Dictionary<string, Func<string, PreTokenizerChoice>>(StringComparer.Ordinal);
        void Add(Func<string, PreTokenizerChoice> make, params string[] names)
        {
            foreach (string n in names) map.Add(n, make);
        }

        Add(n => Plain(n, R.DefaultPunctuationRegex(), R.Gpt2Regex(), R.DigitRunsRegex(), R.ThreeDigitsRegex()), "default");
        Add(n => new(new RegexPreTokenizer(n, [R.Llama3Regex()]), IgnoreMerges: true, AddBosByDefault: true),
            "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe");
        Add(n => Plain(n, R.Qwen2Regex()), "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez");
        Add(n => Plain(n, R.DeepSeek3DigitsRegex(), R.DeepSeek3CjkRegex(), R.DeepSeek3WordsRegex()), "deepseek-v3");
        Add(n => new(new RegexPreTokenizer(n,
                [R.NewLineRegex(), R.DeepSeekLlmLettersRegex(), R.DeepSeekLlmPunctuationRegex(),
                 R.TrailingWhitespaceRegex(), R.DeepSeekCjkRegex(), R.DigitRunsRegex()], useCodePointProxy: false),
                IgnoreMerges: false, AddBosByDefault: false),
            "deepseek-llm");
        Add(n => Plain(n, R.NewLineRegex(), R.DeepSeekCoderLettersRegex(), R.DeepSeekCoderPunctuationRegex(),
                R.DeepSeekCjkRegex(), R.SingleDigitsRegex()), "deepseek-coder");
        Add(n => Plain(n, R.FalconPunctuationRegex(), R.Gpt2Regex(), R.ThreeDigitsRegex()), "falcon");
        Add(n => Plain(n, R.SingleDigitsRegex(), R.Gpt2Regex()),
            "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b");
        Add(n => Plain(n, R.Gpt2Regex()),
            "gpt-2", "gpt2", "gpt-neox", "mpt", "olmo", "jais", "phi-2", "roberta-bpe", "gigachat",
            "jina-es", "jina-de", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code");
        Add(n => Plain(n, R.BloomRegex()), "bloom", "poro-chat", "gpt3-finnish");
        Add(n => Plain(n, R.BloomRegex(), R.SingleDigitsRegex()), "viking");
        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static PreTokenizerChoice Plain(string name, params Regex[] stages) =>
        new(new RegexPreTokenizer(name, stages), IgnoreMerges: false, AddBosByDefault: false);
}
