using DeepSharp.Oracle;

namespace DeepSharp.Cli.Tests;

public class InfoCommandTests
{
    [Fact]
    public void Describes_stories260K()
    {
        // stories260K: llama, dim 64, 5 layers, 8 heads, 4 KV heads, vocab 512, all F32 (corpora/SOURCES.md).
        string gguf = Path.Combine(TestPaths.Corpora, "models", "stories260K", "stories260K.gguf");
        var (code, stdout, stderr) = CliRunner.Run("info", gguf);

        Assert.True(code == 0, stderr);
        Assert.Matches(@"architecture\s+llama\n", stdout);
        Assert.Matches(@"embedding_length\s+64\n", stdout);
        Assert.Matches(@"block_count\s+5\n", stdout);
        Assert.Matches(@"attention.head_count\s+8\n", stdout);
        Assert.Matches(@"attention.head_count_kv\s+4\n", stdout);
        Assert.Matches(@"tensor types\s+F32×", stdout);
        Assert.Matches(@"tokenizer\s+llama .*512 tokens", stdout);
        Assert.Contains("bos=1 '<s>'", stdout, StringComparison.Ordinal);
    }
}
