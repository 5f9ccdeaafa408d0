using DeepSharp.Core.Quant;
using DeepSharp.Gguf;
using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Kernels.Tests;

/// <summary>A file's matrix that no packed layout takes is copied into streamed memory at load, unchanged, whatever its size.</summary>
public sealed unsafe class StreamedCopyTests : IDisposable
{
    private const int Cols = 256;
    private const long BigRows = 12_000, SmallRows = 64;   // Q6_K: 210 bytes a row, so 2.4 MiB and 13 KiB
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"streamed-copy-{Guid.NewGuid():N}.gguf");
    private readonly byte[] _big = RandomBytes(BigRows * 210, seed: 5), _small = RandomBytes(SmallRows * 210, seed: 6);

    public StreamedCopyTests()
    {
        GgufWriter.WriteFile(_path, [new("general.architecture", GgufValue.Of("test"))],
        [
            GgufTensorSource.FromBytes("big", QuantType.Q6_K, [Cols, BigRows], _big),
            GgufTensorSource.FromBytes("small", QuantType.Q6_K, [Cols, SmallRows], _small),
        ]);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void A_large_unpacked_matrix_is_read_from_a_copy_with_the_files_bytes_and_its_mapping_stays_cold()
    {
        using var file = GgufFile.Open(_path);
        var big = QTensor.FromGguf(file, file.FindTensor("big")!);
        nint mapped = (nint)file.GetDataPointer(file.FindTensor("big")!);

        Assert.False(big.PrepareForMatMul());   // Q6_K has no packed layout

        AssertCopied(big, mapped, _big);
        if (OperatingSystem.IsLinux()) Assert.InRange(ProcSmaps.ResidentBytes(mapped), 0, 1L << 20);   // read through the file
    }

    [Fact]
    public void A_small_matrix_is_copied_too_into_memory_advised_huge_pages()
    {
        using var file = GgufFile.Open(_path);
        var small = QTensor.FromGguf(file, file.FindTensor("small")!);
        nint mapped = (nint)file.GetDataPointer(file.FindTensor("small")!);

        small.PrepareForMatMul();

        AssertCopied(small, mapped, _small);
    }

    // The products read t's rows from a copy of the file's bytes (not the mapping), in memory advised huge pages.
    private static void AssertCopied(QTensor t, nint mapped, byte[] fileBytes)
    {
        var (address, length) = t.ProductMemory;
        Assert.NotEqual(mapped, address);
        Assert.Equal(fileBytes.Length, length);
        if (OperatingSystem.IsLinux()) Assert.Equal(ProcSmaps.HugePagesOffered(), ProcSmaps.HugePageEligible(address));
        for (long r = 0; r < t.Rows; r++)
            Assert.True(t.Row(r).SequenceEqual(fileBytes.AsSpan((int)(r * t.RowBytes), (int)t.RowBytes)), $"row {r}");
    }

    private static byte[] RandomBytes(long n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
