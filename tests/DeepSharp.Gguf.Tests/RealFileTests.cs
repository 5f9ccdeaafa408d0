using DeepSharp.Core.Quant;
using DeepSharp.Oracle;

namespace DeepSharp.Gguf.Tests;

/// <summary>Real GGUF files written by llama.cpp's tools, checked against what llama.cpp and the model card say.</summary>
public class RealFileTests
{
    public static TheoryData<string> VocabFiles()
    {
        var data = new TheoryData<string>();
        foreach (string f in Directory.GetFiles(TestPaths.Corpus("tokenizer", "llama.cpp-vocab"), "*.gguf").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void Stories260K_metadata_matches_the_model_card()
    {
        using var f = GgufFile.Open(TestPaths.Stories260K);
        var md = f.Metadata;
        Assert.Equal(3u, f.Version);
        Assert.Equal(32, f.Alignment);
        Assert.Equal("llama", md.GetString("general.architecture"));
        Assert.Equal(64, md.GetInt32("llama.embedding_length"));
        Assert.Equal(5, md.GetInt32("llama.block_count"));
        Assert.Equal(8u, md.GetUInt32("llama.attention.head_count"));
        Assert.Equal(4, md.GetInt64("llama.attention.head_count_kv"));
        Assert.Equal(172, md.GetInt32("llama.feed_forward_length"));
        Assert.Equal(1e-5f, md.GetFloat("llama.attention.layer_norm_rms_epsilon"));
        Assert.Equal("llama", md.GetString("tokenizer.ggml.model"));

        string[] tokens = md.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(512, tokens.Length);
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x00>"], tokens[..4]);
        Assert.Equal(512, md.GetFloatArray("tokenizer.ggml.scores").Length);
        Assert.Equal([2, 3, 3, 6], md.GetInt32Array("tokenizer.ggml.token_type")[..4]);
        Assert.Equal(1, md.GetInt32("tokenizer.ggml.bos_token_id"));
        Assert.Equal(uint.MaxValue, md.GetUInt32("tokenizer.ggml.padding_token_id"));
    }

    [Fact]
    public void Stories260K_tensor_directory_matches_the_architecture()
    {
        using var f = GgufFile.Open(TestPaths.Stories260K);
        Assert.Equal(3 + 5 * 9, f.Tensors.Count);
        var embd = f.GetTensorInfo("token_embd.weight");
        Assert.Equal(QuantType.F32, embd.Type);
        Assert.Equal([64L, 512L], embd.Dims);
        Assert.Equal(64 * 512, embd.ElementCount);
        Assert.Equal(64 * 512 * 4, embd.ByteLength);
        Assert.Equal([64L, 32L], f.GetTensorInfo("blk.4.attn_k.weight").Dims);
        Assert.Equal([172L, 64L], f.GetTensorInfo("blk.2.ffn_down.weight").Dims);
        Assert.Null(f.FindTensor("blk.5.attn_q.weight"));
        var missing = Assert.Throws<GgufFormatException>(() => f.GetTensorInfo("blk.5.attn_q.weight"));
        Assert.Contains("blk.5.attn_q.weight", missing.Message, StringComparison.Ordinal);

        Assert.Equal(0, f.DataOffset % f.Alignment);
        Assert.All(f.Tensors, t => Assert.Equal(0, t.Offset % f.Alignment));
        long end = f.Tensors.Max(t => f.DataOffset + t.Offset + t.ByteLength);
        Assert.Equal(new FileInfo(TestPaths.Stories260K).Length, end);
    }

    [Fact]
    public void Tensor_views_point_at_the_right_file_bytes()
    {
        byte[] file = File.ReadAllBytes(TestPaths.Stories260K);
        using var f = GgufFile.Open(TestPaths.Stories260K);
        foreach (var t in f.Tensors)
        {
            var expected = file.AsSpan((int)(f.DataOffset + t.Offset), (int)t.ByteLength);
            Assert.True(expected.SequenceEqual(f.GetTensorBytes(t)), t.Name);
            long last = t.RowCount - 1;
            Assert.True(expected[(int)(last * t.RowByteLength)..].SequenceEqual(f.GetRowBytes(t, last)), t.Name);
        }
        var norm = f.GetTensorInfo("output_norm.weight");
        ReadOnlySpan<float> w = f.GetTensorSpan<float>(norm);
        Assert.Equal(64, w.Length);
        Assert.Equal(BitConverter.ToSingle(file, (int)(f.DataOffset + norm.Offset) + 4 * 63), w[63]);
        Assert.Throws<ArgumentException>(() => f.GetTensorSpan<Half>(norm).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => f.GetRowBytes(norm, 1).Length);
    }

    [Fact]
    public void Tensor_access_after_dispose_or_from_another_file_is_refused()
    {
        var f = GgufFile.Open(TestPaths.Stories260K);
        using var other = GgufFile.Open(TestPaths.Stories260K);
        var t = f.Tensors[0];
        Assert.Throws<ArgumentException>(() => other.GetTensorBytes(t).Length);
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.GetTensorBytes(t).Length);
        f.Dispose(); // twice is harmless
    }

    [Fact]
    public void Accessors_name_the_key_when_the_type_or_range_is_wrong()
    {
        using var f = GgufFile.Open(TestPaths.Stories260K);
        var md = f.Metadata;
        AssertNamesKey("tokenizer.ggml.padding_token_id", () => md.GetInt32("tokenizer.ggml.padding_token_id"));
        AssertNamesKey("general.architecture", () => md.GetInt64("general.architecture"));
        AssertNamesKey("llama.block_count", () => md.GetFloat("llama.block_count"));
        AssertNamesKey("llama.block_count", () => md.GetStringArray("llama.block_count"));
        AssertNamesKey("tokenizer.ggml.scores", () => md.GetInt32Array("tokenizer.ggml.scores"));
        AssertNamesKey("no.such.key", () => md.GetString("no.such.key"));
        Assert.Null(md.GetStringOrNull("no.such.key"));
        Assert.Equal(7, md.GetInt64OrDefault("no.such.key", 7));
        Assert.Equal(0.5f, md.GetFloatOrDefault("no.such.key", 0.5f));
        Assert.True(md.GetBoolOrDefault("no.such.key", true));
    }

    private static void AssertNamesKey(string key, Func<object> read)
    {
        var e = Assert.Throws<GgufFormatException>(read);
        Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(VocabFiles))]
    public void Vocab_files_agree_with_llama_cpp_on_the_vocabulary_size(string fileName)
    {
        string path = TestPaths.Corpus("tokenizer", "llama.cpp-vocab", fileName);
        using var f = GgufFile.Open(path);
        var md = f.Metadata;
        string[] tokens = md.GetStringArray("tokenizer.ggml.tokens");
        Assert.Equal(tokens.Length, md.GetInt32Array("tokenizer.ggml.token_type").Length);
        Assert.Contains(md.GetString("tokenizer.ggml.model"), new[] { "llama", "gpt2" });
        if (md.GetString("tokenizer.ggml.model") == "gpt2")
            Assert.NotEmpty(md.GetStringArray("tokenizer.ggml.merges"));

        using var oracle = LlamaOracle.LoadVocabOnly(path);
        Assert.Equal(oracle.VocabSize, tokens.Length);
    }
}
