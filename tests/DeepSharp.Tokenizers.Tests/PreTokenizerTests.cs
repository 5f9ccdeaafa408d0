using System.Globalization;
using System.Text.Json;
using DeepSharp.Gguf;
using DeepSharp.Tokenizers.PreTokenization;

namespace DeepSharp.Tokenizers.Tests;

public class PreTokenizerTests
{
    [Fact]
    public void Built_in_regexes_equal_the_ones_in_the_hugging_face_files()
    {
        Assert.Equal([PreTokenizerRegexes.Qwen2], SplitPatterns(Corpus.Qwen2Json));
        Assert.Equal(
            [PreTokenizerRegexes.DeepSeek3Digits, PreTokenizerRegexes.DeepSeek3Cjk, PreTokenizerRegexes.DeepSeek3Words],
            SplitPatterns(Corpus.DeepSeekV3Json));
    }

    [Fact]
    public void Unknown_pre_tokenizer_name_is_an_error_listing_the_known_names()
    {
        var md = new GgufMetadata([
            new("tokenizer.ggml.model", GgufValue.Of("gpt2")), new("tokenizer.ggml.pre", GgufValue.Of("no-such-pre")),
            new("tokenizer.ggml.tokens", GgufValue.Of(["a"])), new("tokenizer.ggml.merges", GgufValue.Of(Array.Empty<string>())),
        ]);

        var e = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromGguf(md));

        Assert.Contains("no-such-pre", e.Message, StringComparison.Ordinal);
        foreach (string name in new[] { "default", "gpt-2", "llama3", "llama-bpe", "qwen2", "deepseek-r1-qwen", "deepseek-llm",
                     "deepseek-coder", "deepseek-v3", "falcon", "starcoder", "refact", "mpt", "gpt-neox", "command-r" })
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_model_is_an_error_naming_it()
    {
        var md = new GgufMetadata([new("tokenizer.ggml.model", GgufValue.Of("t5"))]);

        Assert.Contains("'t5'", Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromGguf(md)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_known_name_builds_and_splits_text_into_pieces_covering_it()
    {
        const string text = "Hello, World! It's 2025: 12345 apples 🦙🦙 中文 カタカナ 한국어 \n\n  x\r\n ";
        foreach (string name in PreTokenizerCatalog.Names)
        {
            var pieces = new List<(int Start, int Length)>();
            PreTokenizerCatalog.Get(name).PreTokenizer.Split(text, pieces);

            Assert.Equal(text, string.Concat(pieces.Select(p => text.Substring(p.Start, p.Length))));
            Assert.All(pieces, p => Assert.True(p.Length > 0));
        }
    }

    [Theory]
    [InlineData("qwen2", "I'm 123abc", new[] { "I", "'m", " ", "1", "2", "3", "abc" })]
    [InlineData("llama3", "I'M 12345!!\n\nok", new[] { "I", "'M", " ", "123", "45", "!!\n\n", "ok" })]
    [InlineData("gpt-2", "a  b 🦙🦙.", new[] { "a", " ", " b", " 🦙🦙.", })]
    [InlineData("deepseek-v3", "1234中文abc 🦙!", new[] { "123", "4", "中文", "abc", " 🦙!" })]
    [InlineData("deepseek-coder", "ab 12\n中文", new[] { "ab", " ", "1", "2", "\n", "中文" })]
    [InlineData("qwen2", "𝐀𝐁c 𠀀x", new[] { "𝐀𝐁c", " 𠀀x" })]
    public void Splits_as_the_regexes_say(string name, string text, string[] expected)
    {
        var pieces = new List<(int Start, int Length)>();
        PreTokenizerCatalog.Get(name).PreTokenizer.Split(text, pieces);

        Assert.Equal(expected, pieces.Select(p => text.Substring(p.Start, p.Length)));
    }

    [Fact]
    public void Astral_stand_ins_have_the_category_they_stand_for()
    {
        for (int c = 0; c < CodePointProxy.StandIns.Length; c++)
        {
            if ((UnicodeCategory)c == UnicodeCategory.Surrogate) continue;
            Assert.Equal((UnicodeCategory)c, CharUnicodeInfo.GetUnicodeCategory(CodePointProxy.StandIns[c]));
        }
    }

    private static string[] SplitPatterns(string tokenizerJson)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(tokenizerJson));
        return [.. json.RootElement.GetProperty("pre_tokenizer").GetProperty("pretokenizers").EnumerateArray()
            .Where(p => p.GetProperty("type").GetString() == "Split")
            .Select(p => p.GetProperty("pattern").GetProperty("Regex").GetString()!)];
    }
}
