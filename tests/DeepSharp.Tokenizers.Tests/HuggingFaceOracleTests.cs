using HfTokenizer = Tokenizers.DotNet.Tokenizer;

namespace DeepSharp.Tokenizers.Tests;

/// <summary>
/// The tokenizer.json files checked against Hugging Face's own tokenizer (the Rust <c>tokenizers</c> crate through
/// NuGet Tokenizers.DotNet 1.4.1), on llama.cpp's cases, our own cases and chat-formatted text with special tokens.
/// Hugging Face matches added tokens in all text, so our side parses specials. Neither file's post-processor adds
/// tokens (DeepSeek-V3: ByteLevel; Qwen3: ByteLevel), so both sides encode without BOS.
/// </summary>
public sealed class HuggingFaceOracleTests : IClassFixture<HuggingFaceOracleTests.Oracles>
{
    private readonly Oracles _oracles;

    public HuggingFaceOracleTests(Oracles oracles) => _oracles = oracles;

    public static TheoryData<string> Texts()
    {
        var data = new TheoryData<string>();
        foreach (string text in Corpus.Inputs("gpt-2").Concat(Corpus.OwnCases).Concat(ChatTexts).Distinct())
            data.Add(text);
        return data;
    }

    /// <summary>R1-style chat text: DeepSeek's fullwidth-bar markers (U+FF5C, U+2581) and think tags.</summary>
    public static readonly string[] ChatTexts =
    [
        "<｜begin▁of▁sentence｜><｜User｜>Hello, world!<｜Assistant｜>",
        "<｜User｜>What is 2+2?<｜Assistant｜><think>\nSimple.\n</think>\n\n4<｜end▁of▁sentence｜>",
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "text<｜end▁of▁sentence｜>more<｜User｜><｜User｜>",
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nhello<|im_end|>",
        "partial <｜User markers and <think without closing",
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void DeepSeek_v3_encodes_as_hugging_face(string text)
    {
        uint[] expected = _oracles.DeepSeekV3.Encode(text);

        int[] actual = Corpus.Json(Corpus.DeepSeekV3Json).Encode(text, addSpecial: false, parseSpecial: true);

        Assert.Equal(expected.Select(id => (int)id), actual);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Qwen_vocabulary_encodes_as_hugging_face(string text)
    {
        uint[] expected = _oracles.Qwen.Encode(text);

        int[] actual = Corpus.Json(Corpus.Qwen2Json).Encode(text, addSpecial: false, parseSpecial: true);

        Assert.Equal(expected.Select(id => (int)id), actual);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void DeepSeek_v3_decodes_to_the_input(string text)
    {
        var tokenizer = Corpus.Json(Corpus.DeepSeekV3Json);

        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text, addSpecial: false, parseSpecial: true)));
    }

    /// <summary>One Hugging Face tokenizer per file for the whole class (loading parses 8-11 MB of JSON).</summary>
    public sealed class Oracles : IDisposable
    {
        public HfTokenizer DeepSeekV3 { get; } = new(Corpus.DeepSeekV3Json);
        public HfTokenizer Qwen { get; } = new(Corpus.Qwen2Json);

        public void Dispose()
        {
            DeepSeekV3.Dispose();
            Qwen.Dispose();
        }
    }
}
