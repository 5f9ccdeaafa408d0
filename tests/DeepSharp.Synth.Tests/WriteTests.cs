using System.Runtime.InteropServices;
using DeepSharp.Gguf;
using DeepSharp.Synth;

namespace DeepSharp.Synth.Tests;

public class WriteTests
{
    private static byte[] Bytes(SynthOptions options)
    {
        using var ms = new MemoryStream();
        SynthModel.Write(SynthModel.Plan(options), options, ms);
        return ms.ToArray();
    }

    [Fact]
    public void Same_seed_gives_identical_bytes_whatever_the_thread_count()
    {
        var options = new SynthOptions { Preset = "tiny-llama-tied", FileType = "q6_k", Seed = 7 };
        byte[] a = Bytes(options);
        Assert.Equal(a, Bytes(options with { Threads = 1 }));
        Assert.NotEqual(a, Bytes(options with { Seed = 8 }));
    }

    [Fact]
    public void Written_file_reads_back_with_the_planned_directory_and_normal_weights()
    {
        string path = Path.Combine(Path.GetTempPath(), $"synth-{Guid.NewGuid():N}.gguf");
        try
        {
            SynthPlan plan = SynthModel.Write(new SynthOptions { Preset = "tiny-llama", FileType = "f32", Seed = 3 }, path);
            using GgufFile file = GgufFile.Open(path);
            Assert.Equal(plan.Tensors.Select(t => (t.Name, t.Type, string.Join(",", t.Dims))),
                file.Tensors.Select(t => (t.Name, t.Type, string.Join(",", t.Dims))));
            Assert.Equal("llama", file.Metadata.GetString("general.architecture"));

            float[] q = file.GetTensorSpan<float>(file.GetTensorInfo("blk.1.attn_q.weight")).ToArray();
            double mean = q.Average();
            double std = Math.Sqrt(q.Select(v => (v - mean) * (v - mean)).Average());
            Assert.InRange(mean, -0.002, 0.002);           // 9,216 samples: standard error of the mean 0.0002
            Assert.InRange(std, 0.0195, 0.0205);           // σ = 0.02
            Assert.All(file.GetTensorSpan<float>(file.GetTensorInfo("blk.2.ffn_norm.weight")).ToArray(), v => Assert.Equal(1f, v));
            Assert.Equal(WeightGenerator.Llama3RopeFactors(new Llama3RopeScaling(8f, 1f, 4f, 8192), 16, 500000f),
                file.GetTensorSpan<float>(file.GetTensorInfo("rope_freqs.weight")).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A shape whose embedding and output (2M values each) are big enough for the pooled fast path.</summary>
    internal static SynthShape PooledShape => SynthPresets.Get("tiny-qwen2") with
    {
        ModelName = "pooled", NEmbd = 512, NHead = 8, NHeadKv = 2, NFf = 1024, NLayer = 2, NVocab = 4096, SpecialBase = 4096 - 22,
    };

    [Fact]
    public void Large_tensors_from_the_pool_are_normal_distinct_and_deterministic()
    {
        var options = new SynthOptions { Shape = PooledShape, FileType = "f32", Seed = 5 };
        byte[] bytes = Bytes(options);
        Assert.Equal(bytes, Bytes(options with { Threads = 1 }));

        string path = Path.Combine(Path.GetTempPath(), $"synth-{Guid.NewGuid():N}.gguf");
        try
        {
            File.WriteAllBytes(path, bytes);
            using GgufFile file = GgufFile.Open(path);
            float[] embd = file.GetTensorSpan<float>(file.GetTensorInfo("token_embd.weight")).ToArray();
            double mean = embd.Average();
            double std = Math.Sqrt(embd.Select(v => (v - mean) * (v - mean)).Average());
            Assert.InRange(mean, -0.0005, 0.0005);
            Assert.InRange(std, 0.0199, 0.0201);
            // Rows are different combinations of pool segments: no two of the 4096 rows are equal.
            var rows = Enumerable.Range(0, 4096).Select(r => Convert.ToBase64String(MemoryMarshal.AsBytes(embd.AsSpan(r * 512, 512)))).ToHashSet();
            Assert.Equal(4096, rows.Count);
            float[] output = file.GetTensorSpan<float>(file.GetTensorInfo("output.weight")).ToArray();
            Assert.NotEqual(embd, output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Invalid_options_fail_with_clear_argument_errors()
    {
        Assert.Contains("Presets:", Assert.Throws<ArgumentException>(() => SynthModel.Plan(new SynthOptions { Preset = "gpt-5" })).Message, StringComparison.Ordinal);
        Assert.Contains("not llama", Assert.Throws<ArgumentException>(() => SynthModel.Plan(new SynthOptions { Arch = "llama", Preset = "tiny-qwen2" })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SynthModel.Plan(new SynthOptions()));
        Assert.Throws<ArgumentException>(() => SynthModel.Plan(new SynthOptions { Preset = "tiny-qwen2", FileType = "q9_9" }));
        Assert.Contains("row length 72", Assert.Throws<ArgumentException>(() => SynthModel.Plan(new SynthOptions { Preset = "tiny-qwen2-odd", FileType = "q8_0" })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => SynthModel.Plan(new SynthOptions { Preset = "tiny-qwen2", WeightStd = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SynthModel.Plan(new SynthOptions { Preset = "tiny-qwen2", Threads = 0 }));
        Assert.Throws<ArgumentException>(() => SynthModel.Plan(new SynthOptions { Preset = "tiny-qwen2", VocabPath = "/nonexistent/tokenizer.json" }));
        SynthShape bad = SynthPresets.Get("tiny-qwen2") with { NHead = 5 };
        Assert.Contains("not a multiple of the head count", Assert.Throws<ArgumentException>(() => SynthModel.Plan(new SynthOptions { Shape = bad })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synthesized_vocabulary_has_bytes_first_learned_words_and_unique_tokens()
    {
        SynthVocab v = SynthModel.Plan(new SynthOptions { Preset = "tiny-qwen2", VocabOnly = true }).Vocab;
        Assert.Equal("!", v.Tokens[0]);
        Assert.Equal("Ġ", v.Tokens[ByteLevel.ByteTokens().ToList().IndexOf("Ġ")]);
        Assert.Equal(256, v.Tokens.Take(256).Distinct().Count());
        Assert.Contains("Ġthe", v.Tokens);
        Assert.Contains("Ġanswer", v.Tokens);
        Assert.Equal(v.Tokens.Count, v.Tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal("<｜User｜>", v.Tokens[1000 - 22 + 1]);
        Assert.Equal(1000 - 22 + 3, v.BosId);
        Assert.All(v.Merges, m => Assert.Contains(m.Replace(" ", "", StringComparison.Ordinal), v.Tokens));
    }
}
