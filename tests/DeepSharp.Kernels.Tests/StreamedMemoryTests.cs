namespace DeepSharp.Kernels.Tests;

public sealed unsafe class StreamedMemoryTests
{
    [Theory]
    [InlineData(64, 64)]
    [InlineData((2 << 20) - 64, 64)]
    [InlineData(2 << 20, 2 << 20)]
    [InlineData((5 << 20) + 100, 2 << 20)]
    public void Buffers_are_aligned_for_their_size_and_hold_what_is_written(long bytes, long alignment)
    {
        byte* data = StreamedMemory.Allocate(bytes);
        try
        {
            Assert.Equal(0, (long)data % alignment);
            var span = new Span<byte>(data, checked((int)bytes));
            for (int i = 0; i < span.Length; i++) span[i] = (byte)(i * 7);
            for (int i = 0; i < span.Length; i += 4093) Assert.Equal((byte)(i * 7), span[i]);
            Assert.Equal((byte)((span.Length - 1) * 7), span[^1]);
        }
        finally
        {
            StreamedMemory.Free(data);
        }
    }

    [Fact]
    public void A_large_buffer_is_advised_huge_pages_where_Linux_offers_them()
    {
        if (!OperatingSystem.IsLinux()) return;   // the advice is Linux's; elsewhere the buffer is ordinary memory
        const long bytes = 6L << 20;
        byte* data = StreamedMemory.Allocate(bytes);
        try
        {
            new Span<byte>(data, (int)bytes).Fill(1);
            Assert.Equal(ProcSmaps.HugePagesOffered(), ProcSmaps.HugePageEligible((nint)data));
        }
        finally
        {
            StreamedMemory.Free(data);
        }
    }
}
