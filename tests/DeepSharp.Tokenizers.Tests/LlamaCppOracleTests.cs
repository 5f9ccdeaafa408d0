using System.Collections.Concurrent;
using DeepSharp.Oracle;

namespace DeepSharp.Tokenizers.Tests;

/// <summary>
/// The GGUF vocabularies against llama.cpp itself (LLamaSharp, vocab-only load) on our own cases, with and without
/// BOS and special-token parsing.
/// </summary>
public sealed class LlamaCppOracleTests : IClassFixture<LlamaCppOracleTests.Oracles>
{
    private readonly Oracles _oracles;

    public LlamaCppOracleTests(Oracles oracles) => _oracles = oracles;

    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        string[] texts =
        [
            .. Corpus.OwnCases,
            "<s>Hello</s> <unk> world", "<|endoftext|>Hi<|endoftext|>", "<|user|>\nHello<|end|>\n<|assistant|>",
            "<｜begin▁of▁sentence｜>User: hi\n\nAssistant:<｜end▁of▁sentence｜>",
        ];
        foreach (string vocab in new[] { "gpt-2", "deepseek-coder", "llama-spm", "phi-3" })
        {
            foreach (string text in texts)
            {
                data.Add(vocab, text, false);
                data.Add(vocab, text, true);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encodes_as_llama_cpp(string vocab, string text, bool special)
    {
        int[] expected = _oracles.For(vocab).Tokenize(text, addBos: special, special: special);

        int[] actual = Corpus.Gguf(vocab).Encode(text, addSpecial: special, parseSpecial: special);

        Assert.Equal(expected, actual);
    }

    public sealed class Oracles : IDisposable
    {
        private readonly ConcurrentDictionary<string, LlamaOracle> _byVocab = new();

        public LlamaOracle For(string vocab) =>
            _byVocab.GetOrAdd(vocab, v => LlamaOracle.LoadVocabOnly(Path.Combine(Corpus.VocabDir, $"ggml-vocab-{v}.gguf")));

        public void Dispose()
        {
            foreach (var oracle in _byVocab.Values) oracle.Dispose();
        }
    }
}
