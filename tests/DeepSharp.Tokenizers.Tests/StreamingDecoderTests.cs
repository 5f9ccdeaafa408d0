namespace DeepSharp.Tokenizers.Tests;

/// <summary>Streaming decode emits whole characters only, for byte-level BPE and SentencePiece byte fallback.</summary>
public class StreamingDecoderTests
{
    public static TheoryData<string, string> Streams()
    {
        var data = new TheoryData<string, string>();
        string[] texts = ["emoji 🦙🚀👍🏽 family 👨‍👩‍👧‍👦", "中文测试：你好，世界！", "日本語とカタカナ", "𠀀𠀁 math 𝐀𝐁", "mixed é ü ß → ∑"];
        foreach (string vocab in new[] { "gguf:gpt-2", "gguf:llama-spm", "gguf:deepseek-coder", "json:deepseek-v3", "json:qwen2" })
        {
            foreach (string text in texts) data.Add(vocab, text);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Pushing_tokens_one_by_one_yields_the_text_in_whole_characters(string vocab, string text)
    {
        var tokenizer = Load(vocab);
        int[] ids = tokenizer.Encode(text, addSpecial: false, parseSpecial: false);
        var decoder = new StreamingDecoder(tokenizer);
        var chunks = new List<string>();

        foreach (int id in ids) chunks.Add(decoder.Push(id));
        chunks.Add(decoder.Flush());

        foreach (string chunk in chunks)
        {
            Assert.DoesNotContain('\uFFFD', chunk);
            Assert.False(chunk.Length > 0 && char.IsHighSurrogate(chunk[^1]), $"chunk ends in half a surrogate pair: {chunk}");
            Assert.False(chunk.Length > 0 && char.IsLowSurrogate(chunk[0]), $"chunk starts with half a surrogate pair: {chunk}");
        }
        string joined = string.Concat(chunks);
        // SentencePiece's prefix space is part of a continuation's text; the whole-sequence Decode removes it.
        Assert.Equal(vocab == "gguf:llama-spm" ? " " + text : text, joined);
    }

    [Fact]
    public void An_emoji_split_over_byte_tokens_waits_until_complete()
    {
        var tokenizer = Corpus.Gguf("gpt-2");
        int[] ids = tokenizer.Encode("🦙", addSpecial: false, parseSpecial: false);
        Assert.True(ids.Length > 1, "GPT-2 spells the llama emoji with several byte tokens");
        var decoder = new StreamingDecoder(tokenizer);

        string[] outputs = [.. ids.Select(decoder.Push)];

        Assert.All(outputs[..^1], o => Assert.Equal("", o));
        Assert.Equal("🦙", outputs[^1]);
    }

    [Fact]
    public void Flush_of_an_incomplete_character_gives_a_replacement_character_and_resets()
    {
        var tokenizer = Corpus.Gguf("gpt-2");
        int[] ids = tokenizer.Encode("🦙", addSpecial: false, parseSpecial: false);
        var decoder = new StreamingDecoder(tokenizer);

        Assert.Equal("", decoder.Push(ids[0]));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("a", decoder.Push(tokenizer.Encode("a", false, false)[0]));
    }

    private static Tokenizer Load(string vocab) => vocab switch
    {
        "json:deepseek-v3" => Corpus.Json(Corpus.DeepSeekV3Json),
        "json:qwen2" => Corpus.Json(Corpus.Qwen2Json),
        _ => Corpus.Gguf(vocab["gguf:".Length..]),
    };
}
