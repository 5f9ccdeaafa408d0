using DeepSharp.Oracle;
using DeepSharp.Synth;

namespace DeepSharp.Cli.Tests;

/// <summary>A tiny random-weight R1-style qwen2 model (R1-Distill chat template, &lt;think&gt; tokens), made once.</summary>
public sealed class TinyR1Model : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsharp-cli-").FullName;

    public TinyR1Model()
    {
        Path = System.IO.Path.Combine(_dir, "tiny-qwen2-q8_0.gguf");
        SynthModel.Write(new SynthOptions { Arch = "qwen2", Preset = "tiny-qwen2", FileType = "q8_0", Seed = 1 }, Path);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

/// <summary>run, chat, generate, logits and synth through the command line, including their bad-input paths.</summary>
public sealed class ModelCommandTests(TinyR1Model model) : IClassFixture<TinyR1Model>
{
    [Fact]
    public void Run_shows_reasoning_marked_as_thinking_and_speed_on_stderr()
    {
        var (code, stdout, stderr) = CliRunner.Run("run", "--model", model.Path, "--prompt", "What is 2+3?",
            "--max-tokens", "12", "--seed", "5", "--threads", "1");

        Assert.True(code == 0, stderr);
        // The R1 template ends the prompt with "<think>\n", so the model starts inside its reasoning.
        Assert.StartsWith("Thinking...\n", stdout, StringComparison.Ordinal);
        Assert.Matches(@"prompt: \d+ tokens, [\d.]+ tokens/s \| generation: 12 tokens, [\d.]+ tokens/s \| finish: token limit \| seed: 5", stderr);
    }

    [Fact]
    public void Run_with_the_same_seed_repeats_itself()
    {
        string[] args = ["run", "--model", model.Path, "--prompt", "hi", "--max-tokens", "10", "--seed", "9", "--threads", "1"];
        Assert.Equal(CliRunner.Run(args).Stdout, CliRunner.Run(args).Stdout);
    }

    [Fact]
    public void Generate_ids_equals_llama_cpp_greedy_continuation()
    {
        int[] prompt = [1, 17, 42, 99, 5, 300];
        var (code, stdout, stderr) = CliRunner.Run("generate", "--model", model.Path, "--ids", string.Join(' ', prompt),
            "--temperature", "0", "--max-tokens", "16", "--format", "ids", "--threads", "1");
        Assert.True(code == 0, stderr);

        using var oracle = LlamaOracle.Load(model.Path, ctx: 64);
        int[] expected = oracle.Greedy(prompt, 16);
        Assert.Equal(string.Join(' ', expected), stdout.Trim());
    }

    [Fact]
    public void Logits_writes_n_vocab_little_endian_floats_equal_to_llama_cpp()
    {
        int[] prompt = [1, 17, 42, 99];
        string outPath = Path.Combine(Path.GetTempPath(), $"deepsharp-logits-{Guid.NewGuid():N}.f32");
        try
        {
            var (code, _, stderr) = CliRunner.Run("logits", "--model", model.Path, "--ids", "1 17 42 99", "--out", outPath);
            Assert.True(code == 0, stderr);
            byte[] bytes = File.ReadAllBytes(outPath);
            using var oracle = LlamaOracle.Load(model.Path, ctx: 64);
            float[] expected = oracle.LastLogits(prompt);
            Assert.Equal(expected.Length * 4, bytes.Length);
            float[] actual = new float[expected.Length];
            for (int i = 0; i < actual.Length; i++)
                actual[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
            Assert.Equal(Array.IndexOf(expected, expected.Max()), Array.IndexOf(actual, actual.Max()));
            double dot = 0, ne = 0, na = 0;
            for (int i = 0; i < actual.Length; i++) { dot += expected[i] * actual[i]; ne += expected[i] * expected[i]; na += actual[i] * actual[i]; }
            Assert.True(dot / Math.Sqrt(ne * na) >= 0.999, "cosine below 0.999");
        }
        finally
        {
            File.Delete(outPath);
        }
    }

    [Fact]
    public void Chat_answers_turns_resets_and_exits()
    {
        var (code, stdout, stderr) = CliRunner.RunWithInput("hello\n/reset\nwhat is 1+1?\n/exit\n",
            "chat", "--model", model.Path, "--max-tokens", "6", "--seed", "1", "--threads", "1");

        Assert.True(code == 0, stderr);
        Assert.Contains("(conversation reset)", stdout, StringComparison.Ordinal);
        Assert.Equal(2, stderr.Split('\n').Count(l => l.StartsWith("prompt: ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Prompt_longer_than_the_context_is_a_one_line_error()
    {
        string prompt = string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog ", 40));
        var (code, _, stderr) = CliRunner.Run("run", "--model", model.Path, "--prompt", prompt, "--ctx", "32");
        Assert.Equal(1, code);
        Assert.Matches(@"^deepsharp: error: the prompt is \d+ tokens but only 31 fit in the context", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("--temperature", "-1")]
    [InlineData("--threads", "0")]
    [InlineData("--max-tokens", "many")]
    [InlineData("--top-p", "1.5")]
    [InlineData("--kv-type", "q2")]
    public void Invalid_option_values_are_one_line_errors(string option, string value)
    {
        var (code, stdout, stderr) = CliRunner.Run("run", "--model", model.Path, "--prompt", "hi", option, value);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("deepsharp: error: ", stderr, StringComparison.Ordinal);
        Assert.Contains(option.TrimStart('-'), stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_are_rejected()
    {
        var (code, _, stderr) = CliRunner.Run("generate", "--model", model.Path, "--ids", "1 999999");
        Assert.Equal(1, code);
        Assert.Contains("outside the vocabulary", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_architecture_names_the_supported_ones()
    {
        string path = Path.Combine(Path.GetTempPath(), $"deepsharp-arch-{Guid.NewGuid():N}.gguf");
        try
        {
            // stories260K with its architecture renamed: everything else is a valid model file.
            using (var src = DeepSharp.Gguf.GgufFile.Open(TestPaths.Stories260K))
            {
                var metadata = src.Metadata.Select(kv => kv.Key == "general.architecture"
                    ? new KeyValuePair<string, DeepSharp.Gguf.GgufValue>(kv.Key, DeepSharp.Gguf.GgufValue.Of("gptj")) : kv);
                DeepSharp.Gguf.GgufWriter.WriteFile(path, metadata, src.Tensors.Select(t => DeepSharp.Gguf.GgufTensorSource.FromFile(src, t)));
            }
            var (code, _, stderr) = CliRunner.Run("generate", "--model", path, "--prompt", "Once");
            Assert.Equal(1, code);
            Assert.Contains("gptj", stderr, StringComparison.Ordinal);
            Assert.Contains("qwen2", stderr, StringComparison.Ordinal);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Corrupt_model_file_is_a_one_line_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"deepsharp-corrupt-{Guid.NewGuid():N}.gguf");
        try
        {
            byte[] bytes = File.ReadAllBytes(model.Path);
            File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray()); // truncated in the tensor data
            var (code, _, stderr) = CliRunner.Run("run", "--model", path, "--prompt", "hi");
            Assert.Equal(1, code);
            Assert.StartsWith("deepsharp: error: ", stderr, StringComparison.Ordinal);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Synth_writes_a_model_that_info_describes()
    {
        string path = Path.Combine(Path.GetTempPath(), $"deepsharp-synth-{Guid.NewGuid():N}.gguf");
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("synth", "--arch", "llama", "--preset", "tiny-llama", "--type", "q4_0", "--out", path, "--seed", "3");
            Assert.True(code == 0, stderr);
            Assert.StartsWith("wrote ", stdout, StringComparison.Ordinal);
            var info = CliRunner.Run("info", path);
            Assert.Matches(@"architecture\s+llama\n", info.Stdout);
            Assert.Contains("Q4_0", info.Stdout, StringComparison.Ordinal);
            Assert.Equal(1, CliRunner.Run("synth", "--preset", "no-such-model", "--out", path).Code);
        }
        finally
        {
            File.Delete(path);
        }
    }

}
