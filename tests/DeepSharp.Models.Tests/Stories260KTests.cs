using DeepSharp.Oracle;
using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

/// <summary>
/// stories260K.gguf (corpora/models/stories260K: Karpathy's trained llama2.c TinyStories model, llama arch, F32)
/// against llama.cpp through the Oracle.
/// </summary>
public sealed class Stories260KTests
{
    private static int[] PromptIds()
    {
        string text = File.ReadAllText(TestPaths.Corpus("models", "stories260K", "stories260K.llama-tokenize.prompt.ids.txt"));
        return [.. text.Trim().Trim('[', ']').Split(',', StringSplitOptions.TrimEntries).Select(int.Parse)];
    }

    [Fact]
    public void Greedy_continuation_equals_llama_cpp_token_for_token()
    {
        int[] prompt = PromptIds();
        using var oracle = LlamaOracle.Load(TestPaths.Stories260K, ctx: 256);
        int[] expected = oracle.Greedy(prompt, 60);
        using var model = Load(TestPaths.Stories260K);
        using var session = model.CreateSession();
        int[] actual = Greedy(session, prompt, 60, EosOf(model));
        Assert.Equal(expected, actual);
        Assert.True(expected.Length >= 40, "the reference continuation should be long enough to mean something");
    }

    [Fact]
    public void Greedy_text_equals_the_llama_simple_output_in_the_corpus()
    {
        int[] prompt = PromptIds();
        using var model = Load(TestPaths.Stories260K);
        using var session = model.CreateSession();
        int[] generated = Greedy(session, prompt, 60, EosOf(model));
        using var vocab = LlamaOracle.LoadVocabOnly(TestPaths.Stories260K);
        string expected = File.ReadAllText(TestPaths.Corpus("models", "stories260K", "stories260K.llama-simple.prompt_n60.txt"));
        string actual = vocab.Detokenize([.. prompt, .. generated]);
        Assert.Equal(Normalize(expected), Normalize(actual));
    }

    [Fact]
    public void Last_logits_match_llama_cpp()
    {
        int[] prompt = PromptIds();
        using var oracle = LlamaOracle.Load(TestPaths.Stories260K, ctx: 256);
        float[] expected = oracle.LastLogits(prompt);
        using var model = Load(TestPaths.Stories260K);
        using var session = model.CreateSession();
        var actual = session.Prefill(prompt);
        Assert.True(Cosine(expected, actual) >= 0.9999, $"cosine {Cosine(expected, actual)}");
        Assert.Equal(ArgMax(expected), ArgMax(actual));
    }

    // llama-simple prints the BOS as "<s>"; Detokenize does not render control tokens.
    private static string Normalize(string s) => s.Replace("<s>", "", StringComparison.Ordinal).Trim();
}
