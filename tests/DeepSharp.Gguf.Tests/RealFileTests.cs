using DeepSharp.Core.Quant;
using DeepSharp.Oracle;

namespace DeepSharp.Gguf.Tests;

public class RealFileTests
{
    [Fact]
    public void Stories260K_header_metadata_and_tensors_are_read()
    {
        using var f = GgufFile.Open(TestPaths.Stories260K);
        var md = f.Metadata;
        foreach (var kv in md) Console.WriteLine($"{kv.Key} = {kv.Value}");
        foreach (var t in f.Tensors) Console.WriteLine(t);
        Console.WriteLine($"v{f.Version} align {f.Alignment} data {f.DataOffset} len {f.Length}");
    }
}
