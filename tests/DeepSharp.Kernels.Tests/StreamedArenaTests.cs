namespace DeepSharp.Kernels.Tests;

/// <summary>Buffers cut one after another from shared regions of whole 2 MiB pages.</summary>
public sealed unsafe class StreamedArenaTests
{
    private const long Region = 4L << 20;

    [Fact]
    public void Buffers_follow_one_another_in_one_region_each_64_byte_aligned()
    {
        var arena = new StreamedArena(Region, Region);

        var (first, a) = arena.Take(100);
        var (second, b) = arena.Take(3000);
        var (third, c) = arena.Take(64);

        Assert.Same(first, second);
        Assert.Same(first, third);
        Assert.Equal(0, a % StreamedMemory.HugePageBytes);   // a region starts on a page
        Assert.Equal(a + 128, b);
        Assert.Equal(b + 3008, c);
        Assert.Equal(Region, first.Capacity);
        Assert.Equal(Region - 128 - 3008 - 64, first.Free);
    }

    [Fact]
    public void A_buffer_that_does_not_fit_starts_a_new_region_and_one_larger_than_a_region_gets_whole_pages()
    {
        var arena = new StreamedArena(Region, Region);
        var (first, _) = arena.Take(Region - 1000);

        var (second, b) = arena.Take(2000);
        var (large, l) = arena.Take(Region + 1);

        Assert.NotSame(first, second);
        Assert.Equal(0, b % StreamedMemory.HugePageBytes);
        Assert.Equal(Region + StreamedMemory.HugePageBytes, large.Capacity);
        Assert.Equal(0, l % StreamedMemory.HugePageBytes);
        Assert.NotSame(second, large);
    }

    [Fact]
    public void A_buffer_goes_where_it_fits_most_tightly()
    {
        var arena = new StreamedArena(Region, Region);
        var (large, l) = arena.Take(Region + 1);    // leaves 2 MiB - 64 in its last page
        var (fresh, _) = arena.Take(3 << 20);        // a new region: 1 MiB left

        var (small, _) = arena.Take(1000);
        var (middle, m) = arena.Take(1536 << 10);   // more than the 1 MiB left: the large region's room

        Assert.Same(fresh, small);
        Assert.Same(large, middle);
        Assert.Equal(l + Region + 64, m);
        Assert.Equal((2L << 20) - 64 - (1536 << 10), large.Free);
        Assert.Equal((1L << 20) - 1024, fresh.Free);
    }

    [Fact]
    public void Regions_grow_twice_as_large_each_time_up_to_the_largest()
    {
        const long MiB = 1L << 20;
        var arena = new StreamedArena(largestRegion: 8 * MiB, firstRegion: 2 * MiB);

        // Each request but the first is more than any region has left, so each takes a new region.
        var regions = new[] { 64, 2 * MiB, 4 * MiB, 8 * MiB, 8 * MiB }.Select(bytes => arena.Take(bytes).Region).ToArray();

        Assert.Equal([2 * MiB, 4 * MiB, 8 * MiB, 8 * MiB, 8 * MiB], regions.Select(r => r.Capacity));
    }

    [Fact]
    public void What_is_written_to_one_buffer_stays_out_of_its_neighbours()
    {
        var arena = new StreamedArena(Region, Region);
        var (_, a) = arena.Take(1000);
        var (_, b) = arena.Take(1000);

        new Span<byte>((void*)a, 1000).Fill(1);
        new Span<byte>((void*)b, 1000).Fill(2);

        Assert.True(new Span<byte>((void*)a, 1000).IndexOfAnyExcept((byte)1) < 0);
        Assert.True(new Span<byte>((void*)b, 1000).IndexOfAnyExcept((byte)2) < 0);
    }

    [Fact]
    public void A_region_no_buffer_refers_to_is_collected()
    {
        var arena = new StreamedArena(Region, Region);
        var region = TakeAndForget(arena);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(region.TryGetTarget(out _));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<StreamedRegion> TakeAndForget(StreamedArena arena) => new(arena.Take(1000).Region);

    [Fact]
    public void Regions_are_advised_huge_pages_where_Linux_offers_them()
    {
        if (!OperatingSystem.IsLinux()) return;   // the advice is Linux's; elsewhere the memory is ordinary
        var arena = new StreamedArena(Region, Region);
        var (region, a) = arena.Take(1000);
        new Span<byte>((void*)a, 1000).Fill(1);

        Assert.Equal(ProcSmaps.HugePagesOffered(), ProcSmaps.HugePageEligible(a));
        GC.KeepAlive(region);
    }
}
