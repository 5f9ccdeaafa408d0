using DeepSharp.Core.Quant;
using DeepSharp.Oracle;

namespace DeepSharp.Gguf.Tests;

public class WriterTests
{
    private static GgufValue[] NestedArrays() =>
    [
        GgufValue.Of([1, 2, 3]),
        GgufValue.Of(["a", "", "ü"]),
        GgufValue.Of([GgufValue.Of(new double[] { 0.5 }), GgufValue.Of(Array.Empty<bool>())]),
    ];

    /// <summary>One key per scalar type, per array element type, plus empty and nested arrays.</summary>
    private static List<KeyValuePair<string, GgufValue>> EveryValueType() =>
    [
        new("t.u8", GgufValue.Of((byte)250)),
        new("t.i8", GgufValue.Of((sbyte)-100)),
        new("t.u16", GgufValue.Of((ushort)65000)),
        new("t.i16", GgufValue.Of((short)-32000)),
        new("t.u32", GgufValue.Of(uint.MaxValue)),
        new("t.i32", GgufValue.Of(int.MinValue)),
        new("t.f32", GgufValue.Of(float.NaN)),
        new("t.bool", GgufValue.Of(true)),
        new("t.string", GgufValue.Of("héllo \u4e16\u754c \ud83d\ude00")),
        new("t.empty_string", GgufValue.Of("")),
        new("t.u64", GgufValue.Of(ulong.MaxValue)),
        new("t.i64", GgufValue.Of(long.MinValue)),
        new("t.f64", GgufValue.Of(-1.0e300)),
        new("a.u8", GgufValue.Of(new byte[] { 0, 255 })),
        new("a.i8", GgufValue.Of(new sbyte[] { -128, 127 })),
        new("a.u16", GgufValue.Of(new ushort[] { 1, 65535 })),
        new("a.i16", GgufValue.Of(new short[] { -1, 2 })),
        new("a.u32", GgufValue.Of(new uint[] { 7, uint.MaxValue })),
        new("a.i32", GgufValue.Of(new[] { -7, 8 })),
        new("a.f32", GgufValue.Of(new[] { 1.5f, float.NegativeInfinity })),
        new("a.bool", GgufValue.Of(new[] { true, false, true })),
        new("a.string", GgufValue.Of(new[] { "x", "", "\u00e9" })),
        new("a.u64", GgufValue.Of(new ulong[] { 0, ulong.MaxValue })),
        new("a.i64", GgufValue.Of(new long[] { long.MaxValue, -1 })),
        new("a.f64", GgufValue.Of(new[] { Math.PI, double.Epsilon })),
        new("a.empty", GgufValue.Of(Array.Empty<float>())),
        new("a.nested", GgufValue.Of(NestedArrays())),
    ];

    private static void AssertSameValue(GgufValue expected, GgufValue actual, string key)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.ElementType, actual.ElementType);
        Assert.Equal(expected.Count, actual.Count);
        if (expected.Raw is GgufValue[] nested)
        {
            var got = Assert.IsType<GgufValue[]>(actual.Raw);
            for (int i = 0; i < nested.Length; i++)
                AssertSameValue(nested[i], got[i], $"{key}[{i}]");
        }
        else
        {
            Assert.Equal(expected.Raw.GetType(), actual.Raw.GetType());
            Assert.Equal(expected.Raw, actual.Raw); // xunit compares arrays element-wise; NaN equals NaN
        }
    }

    private static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(3u, 0)]
    [InlineData(2u, 0)]
    [InlineData(3u, 64)]
    [InlineData(3u, 1)]
    public void Every_value_type_and_tensor_layout_round_trips(uint version, int alignment)
    {
        var metadata = EveryValueType();
        (string Name, QuantType Type, long[] Dims, byte[] Data)[] tensors =
        [
            ("f32", QuantType.F32, [3], Bytes(12, 1)),
            ("f16.2d", QuantType.F16, [5, 3], Bytes(30, 2)),
            ("q8_0", QuantType.Q8_0, [64, 2], Bytes(136, 3)),
            ("q4_k.3d", QuantType.Q4_K, [256, 1, 2], Bytes(288, 4)),
            ("i32.4d", QuantType.I32, [1, 2, 1, 3], Bytes(24, 5)),
        ];
        using var stream = new MemoryStream();
        var w = new GgufWriter(stream, version);
        if (alignment != 0)
            w.SetAlignment(alignment);
        foreach (var (k, v) in metadata)
            w.Add(k, v);
        foreach (var t in tensors)
            w.AddTensorInfo(t.Name, t.Type, t.Dims);
        w.WriteHeader();
        foreach (var t in tensors)
        {
            w.WriteTensorData(t.Data.AsSpan(0, 5)); // in two pieces: chunked writes are allowed
            w.WriteTensorData(t.Data.AsSpan(5));
        }
        w.Finish();

        var h = GgufHeaderParser.Parse(stream.ToArray());
        Assert.Equal(version, h.Version);
        Assert.Equal(alignment == 0 ? 32 : alignment, h.Alignment);
        Assert.Equal(metadata.Count + (alignment == 0 ? 0 : 1), h.Metadata.Count);
        foreach (var (k, v) in metadata)
            AssertSameValue(v, h.Metadata[k], k);
        Assert.Equal(tensors.Select(t => t.Name), h.Tensors.Select(t => t.Name));
        byte[] file = stream.ToArray();
        for (int i = 0; i < tensors.Length; i++)
        {
            var info = h.Tensors[i];
            Assert.Equal(tensors[i].Type, info.Type);
            Assert.Equal(tensors[i].Dims, info.Dims);
            Assert.Equal(0, info.Offset % h.Alignment);
            Assert.Equal(tensors[i].Data, file.AsSpan((int)(h.DataOffset + info.Offset), (int)info.ByteLength).ToArray());
        }
        Assert.Equal(0, file.Length % h.Alignment); // the last tensor is padded too, as llama.cpp does
    }

    [Fact]
    public void Metadata_keeps_file_order()
    {
        using var stream = new MemoryStream();
        GgufWriter.Write(stream, EveryValueType(), []);
        var h = GgufHeaderParser.Parse(stream.ToArray());
        Assert.Equal(EveryValueType().Select(kv => kv.Key), h.Metadata.Keys);
        Assert.Empty(h.Tensors);
    }

    [Fact]
    public void Writer_refuses_invalid_input()
    {
        var w = new GgufWriter(new MemoryStream());
        w.Add("k", 1);
        Assert.Throws<ArgumentException>(() => w.Add("k", 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.SetAlignment(24));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Add("general.alignment", 0u));
        Assert.Throws<ArgumentException>(() => w.Add("general.alignment", "32"));
        Assert.Throws<ArgumentException>(() => w.AddTensorInfo("q", QuantType.Q8_0, [33]));
        Assert.Throws<ArgumentException>(() => w.AddTensorInfo("z", QuantType.F32, [4, 0]));
        Assert.Throws<ArgumentException>(() => w.AddTensorInfo("d", QuantType.F32, [1, 1, 1, 1, 1]));
        Assert.Throws<ArgumentException>(() => w.AddTensorInfo(new string('n', 64), QuantType.F32, [1]));
        Assert.Throws<ArgumentException>(() => w.AddTensorInfo("x", (QuantType)99, [1]));
        Assert.Throws<ArgumentException>(() => GgufValue.Of([GgufValue.Of(1)]));
        w.AddTensorInfo("t", QuantType.F32, [2]);
        Assert.Throws<ArgumentException>(() => w.AddTensorInfo("t", QuantType.F32, [2]));
        Assert.Throws<InvalidOperationException>(() => w.WriteTensorData(new byte[8]));
        w.WriteHeader();
        Assert.Throws<InvalidOperationException>(() => w.Add("late", 1));
        Assert.Throws<ArgumentException>(() => w.WriteTensorData(new byte[9]));
        Assert.Throws<InvalidOperationException>(w.Finish);
        w.WriteTensorData(new byte[8]);
        Assert.Throws<InvalidOperationException>(() => w.WriteTensorData(new byte[1]));
        w.Finish();
    }

    [Theory]
    [InlineData("models/stories260K/stories260K.gguf")]
    [InlineData("tokenizer/llama.cpp-vocab/ggml-vocab-llama-spm.gguf")]
    [InlineData("tokenizer/llama.cpp-vocab/ggml-vocab-gpt-2.gguf")]
    public void Copying_a_llama_cpp_file_reproduces_it_byte_for_byte(string relativePath)
    {
        string src = TestPaths.Corpus(relativePath.Split('/'));
        string dst = Path.Combine(Path.GetTempPath(), $"gguf-copy-{Guid.NewGuid():N}.gguf");
        try
        {
            using (var f = GgufFile.Open(src))
                GgufWriter.CopyFile(f, dst);
            byte[] expected = File.ReadAllBytes(src), actual = File.ReadAllBytes(dst);
            Assert.Equal(expected.Length, actual.Length);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"first difference at byte {expected.AsSpan().CommonPrefixLength(actual)}");
        }
        finally
        {
            File.Delete(dst);
        }
    }

    [Fact]
    public void A_rewritten_stories260K_gives_llama_cpp_identical_logits()
    {
        string dst = Path.Combine(Path.GetTempPath(), $"stories-rewritten-{Guid.NewGuid():N}.gguf");
        try
        {
            // Rebuild through the public streaming API (not CopyFile), with a different alignment so the layout differs.
            using (var f = GgufFile.Open(TestPaths.Stories260K))
            using (var output = File.Create(dst))
            {
                var w = new GgufWriter(output);
                w.SetAlignment(64);
                foreach (var (k, v) in f.Metadata)
                    w.Add(k, v);
                foreach (var t in f.Tensors)
                    w.AddTensorInfo(t.Name, t.Type, t.Dims);
                w.WriteHeader();
                foreach (var t in f.Tensors)
                    w.WriteTensorData(f.GetTensorBytes(t));
                w.Finish();
            }
            using (var copy = GgufFile.Open(dst))
                Assert.Equal(64, copy.Alignment);

            int[][] cases = [[1], [1, 403, 407, 261, 378, 432, 383, 286, 261], [1, 13, 500, 2, 7, 300, 301, 302, 303, 304, 305, 306]];
            using var original = LlamaOracle.Load(TestPaths.Stories260K, ctx: 64);
            using var rewritten = LlamaOracle.Load(dst, ctx: 64);
            foreach (int[] ids in cases)
                Assert.Equal(original.LastLogits(ids), rewritten.LastLogits(ids));
            Assert.Equal(original.Greedy([1, 403], 20), rewritten.Greedy([1, 403], 20));
        }
        finally
        {
            File.Delete(dst);
        }
    }
}
