using DeepSharp.Core.Quant;
using DeepSharp.Gguf;
using DeepSharp.Kernels.Float;
using DeepSharp.Oracle;
using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

public sealed class LoadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepsharp-models-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Stories260K_spec_is_read_from_its_metadata()
    {
        using var model = Load(TestPaths.Stories260K);
        var s = model.Spec;
        Assert.Equal(("llama", 64, 5, 8, 4, 8, 512), (s.Arch, s.NEmbd, s.NLayer, s.NHead, s.NHeadKv, s.HeadDim, s.NVocab));
        Assert.Equal(RopeStyle.Norm, s.Rope.Style);
        Assert.False(s.QkvBias);
        Assert.Equal(s.HeadDim, s.Rope.NRot);
    }

    [Fact]
    public void Unsupported_architecture_names_the_supported_ones()
    {
        string path = Write("mamba.gguf", md => md.Add("general.architecture", "mamba"), []);
        var e = Assert.Throws<UnsupportedArchitectureException>(() => Load(path));
        Assert.Contains("'mamba'", e.Message, StringComparison.Ordinal);
        Assert.Contains("llama", e.Message, StringComparison.Ordinal);
        Assert.Contains("qwen2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_tensor_is_named_with_its_expected_shape()
    {
        // stories260K's metadata and tensors minus blk.2.ffn_up.weight
        using var source = GgufFile.Open(TestPaths.Stories260K);
        string path = Path.Combine(_dir, "missing.gguf");
        GgufWriter.WriteFile(path, source.Metadata,
            source.Tensors.Where(t => t.Name != "blk.2.ffn_up.weight").Select(t => GgufTensorSource.FromFile(source, t)));
        var e = Assert.Throws<MissingTensorException>(() => Load(path));
        Assert.Equal("blk.2.ffn_up.weight", e.TensorName);
        Assert.Contains("[64, 172]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_throws_FileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => Load(Path.Combine(_dir, "nope.gguf")));
    }

    private string Write(string name, Action<GgufWriter> metadata, (string Name, long[] Dims)[] f32Tensors)
    {
        string path = Path.Combine(_dir, name);
        using var stream = File.Create(path);
        var w = new GgufWriter(stream);
        metadata(w);
        foreach (var (n, dims) in f32Tensors) w.AddTensorInfo(n, QuantType.F32, dims);
        w.WriteHeader();
        foreach (var (_, dims) in f32Tensors) w.WriteTensorData(new byte[4 * dims.Aggregate(1L, (a, b) => a * b)]);
        w.Finish();
        return path;
    }
}
