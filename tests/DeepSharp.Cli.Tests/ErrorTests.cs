using DeepSharp.Oracle;

namespace DeepSharp.Cli.Tests;

/// <summary>Bad input is one line on stderr and a non-zero exit code, never a stack trace.</summary>
public class ErrorTests
{
    private static void AssertOneLineError(string[] args, string expectedFragment)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.NotEqual(0, code);
        Assert.Equal("", stdout);
        string[] lines = stderr.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, $"expected one line, got: {stderr}");
        Assert.StartsWith("deepsharp: error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expectedFragment, lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file() => AssertOneLineError(["info", "/nonexistent/model.gguf"], "file not found");

    [Fact]
    public void Not_a_gguf_file()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "this is not a model file, just some text that is long enough");
            AssertOneLineError(["info", path], "magic");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Unknown_command() => AssertOneLineError(["frobnicate"], "unknown command");

    [Fact]
    public void Unknown_option() =>
        AssertOneLineError(["tokenize", "--modle", "x.gguf"], "unknown option '--modle'");

    [Fact]
    public void Tokenize_needs_text_or_inp()
    {
        string gguf = Path.Combine(TestPaths.Corpora, "tokenizer", "llama.cpp-vocab", "ggml-vocab-gpt-2.gguf");
        AssertOneLineError(["tokenize", "--model", gguf], "--text");
    }

    [Fact]
    public void Unsupported_tokenizer_names_the_known_ones()
    {
        // stories260K's vocabulary is a real llama SentencePiece one; rewrite its pre-tokenizer name into an unknown one.
        string path = Path.GetTempFileName();
        try
        {
            WriteVocabWithPre(path, "no-such-pre");
            AssertOneLineError(["tokenize", "--model", path, "--text", "hi"], "no-such-pre");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void WriteVocabWithPre(string path, string pre)
    {
        string source = Path.Combine(TestPaths.Corpora, "tokenizer", "llama.cpp-vocab", "ggml-vocab-gpt-2.gguf");
        using var src = DeepSharp.Gguf.GgufFile.Open(source);
        using var stream = File.Create(path);
        var writer = new DeepSharp.Gguf.GgufWriter(stream);
        foreach (var (key, value) in src.Metadata)
        {
            if (key == "tokenizer.ggml.pre") writer.Add(key, pre);
            else writer.Add(key, value);
        }
        writer.WriteHeader();
        writer.Finish();
    }
}
