namespace DeepSharp.Tokenizers.Tests;

/// <summary>
/// llama.cpp's tokenizer conformance cases (models/ggml-vocab-*.gguf.inp/.out at c392e509), encoded as its
/// test-tokenizer-0 does: no BOS, no special-token parsing.
/// </summary>
public class LlamaCppVocabTests
{
    public static TheoryData<string, int> GgufCases() => Cases("gpt-2", "deepseek-coder", "llama-spm", "phi-3");

    public static TheoryData<string, int> Qwen2Cases() => Cases("qwen2", "deepseek-r1-qwen");

    [Theory]
    [MemberData(nameof(GgufCases))]
    public void Gguf_vocab_encodes_each_case_as_llama_cpp(string vocab, int caseIndex)
    {
        string input = Corpus.Inputs(vocab)[caseIndex];
        int[] expected = Corpus.Outputs(vocab)[caseIndex];

        int[] actual = Corpus.Gguf(vocab).Encode(input, addSpecial: false, parseSpecial: false);

        Assert.Equal(expected, actual);
    }

    /// <summary>
    /// The qwen2 / deepseek-r1-qwen vocab GGUFs are not in the corpora (over 4 MiB); Qwen3's tokenizer.json holds the
    /// same 151,643 BPE tokens and merges (SOURCES.md), so it stands in for them.
    /// </summary>
    [Theory]
    [MemberData(nameof(Qwen2Cases))]
    public void Qwen2_vocabulary_from_tokenizer_json_encodes_each_case_as_llama_cpp(string vocab, int caseIndex)
    {
        string input = Corpus.Inputs(vocab)[caseIndex];
        int[] expected = Corpus.Outputs(vocab)[caseIndex];

        int[] actual = Corpus.Json(Corpus.Qwen2Json).Encode(input, addSpecial: false, parseSpecial: false);

        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(GgufCases))]
    public void Gguf_vocab_decodes_each_case_back_to_its_text(string vocab, int caseIndex)
    {
        var tokenizer = Corpus.Gguf(vocab);
        string input = Corpus.Inputs(vocab)[caseIndex];

        string decoded = tokenizer.Decode(tokenizer.Encode(input, addSpecial: false, parseSpecial: false));

        Assert.Equal(ExpectedRoundTrip(vocab, input), decoded);
    }

    [Theory]
    [MemberData(nameof(Qwen2Cases))]
    public void Qwen2_vocabulary_decodes_each_case_back_to_its_text(string vocab, int caseIndex)
    {
        var tokenizer = Corpus.Json(Corpus.Qwen2Json);
        string input = Corpus.Inputs(vocab)[caseIndex];

        Assert.Equal(input, tokenizer.Decode(tokenizer.Encode(input, addSpecial: false, parseSpecial: false)));
    }

    [Fact]
    public void Deepseek_r1_qwen_expectations_equal_qwen2s()
    {
        Assert.Equal(Corpus.Outputs("qwen2"), Corpus.Outputs("deepseek-r1-qwen"));
        Assert.Equal(46, Corpus.Inputs("qwen2").Length);
    }

    private static string ExpectedRoundTrip(string vocab, string input) => input;

    private static TheoryData<string, int> Cases(params string[] vocabs)
    {
        var data = new TheoryData<string, int>();
        foreach (string vocab in vocabs)
        {
            for (int i = 0; i < Corpus.Inputs(vocab).Length; i++) data.Add(vocab, i);
        }
        return data;
    }
}
