using DeepSharp.Oracle;

namespace DeepSharp.Cli.Tests;

/// <summary>
/// `deepsharp tokenize --inp` against llama.cpp's own tokenizer test outputs
/// (../shared/corpora/tokenizer/llama.cpp-vocab: each .inp with its .out, written by llama.cpp's test-tokenizer-0).
/// </summary>
public class TokenizeCommandTests
{
    private static string VocabDir => Path.Combine(TestPaths.Corpora, "tokenizer", "llama.cpp-vocab");

    /// <summary>Every vocabulary file that has its expected output beside it.</summary>
    public static TheoryData<string> VocabsWithExpectedOutput()
    {
        var data = new TheoryData<string>();
        foreach (string gguf in Directory.GetFiles(VocabDir, "*.gguf").Order(StringComparer.Ordinal))
        {
            if (File.Exists(gguf + ".inp") && File.Exists(gguf + ".out")) data.Add(Path.GetFileName(gguf));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(VocabsWithExpectedOutput))]
    public void Inp_file_reproduces_llama_cpp_out_file(string vocab)
    {
        string gguf = Path.Combine(VocabDir, vocab);
        var (code, stdout, stderr) = CliRunner.Run("tokenize", "--model", gguf, "--inp", gguf + ".inp");

        Assert.True(code == 0, stderr);
        string[] expected = File.ReadAllText(gguf + ".out").Split('\n');
        string[] actual = stdout.Split('\n');
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(expected[i] == actual[i], $"{vocab} case {i + 1}: expected '{expected[i]}', got '{actual[i]}'");
    }

    [Fact]
    public void All_four_shipped_vocabularies_are_covered()
    {
        int covered = Directory.GetFiles(VocabDir, "*.gguf").Count(g => File.Exists(g + ".inp") && File.Exists(g + ".out"));
        Assert.Equal(4, covered); // gpt-2, deepseek-coder, llama-spm, phi-3 (SOURCES.md)
    }

    [Fact]
    public void Text_gets_bos_unless_no_bos()
    {
        string gguf = Path.Combine(VocabDir, "ggml-vocab-llama-spm.gguf");
        var withBos = CliRunner.Run("tokenize", "--model", gguf, "--text", "Hello world");
        var withoutBos = CliRunner.Run("tokenize", "--model", gguf, "--text", "Hello world", "--no-bos");

        Assert.Equal(0, withBos.Code);
        Assert.Equal(" 1" + withoutBos.Stdout, withBos.Stdout);
    }
}
