namespace DeepSharp.Tokenizers.Tests;

/// <summary>One tokenizer instance serves parallel callers (immutable vocabulary, per-call state, concurrent cache).</summary>
public class ConcurrencyTests
{
    [Fact]
    public void Parallel_encodes_give_the_sequential_results()
    {
        var tokenizer = Corpus.Json(Corpus.DeepSeekV3Json);
        string[] texts = [.. Corpus.Inputs("gpt-2"), .. Corpus.OwnCases];
        int[][] expected = [.. texts.Select(t => tokenizer.Encode(t, addSpecial: false, parseSpecial: true))];

        var results = new int[texts.Length * 8][];
        Parallel.For(0, results.Length, i => results[i] = tokenizer.Encode(texts[i % texts.Length], addSpecial: false, parseSpecial: true));

        for (int i = 0; i < results.Length; i++) Assert.Equal(expected[i % texts.Length], results[i]);
    }
}
