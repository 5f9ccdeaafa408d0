namespace DeepSharp.Kernels;

/// <summary>
/// Hands out <see cref="StreamedBuffer"/>s one after another from regions of whole 2 MiB pages, so that every byte
/// of the weights lies in a 2 MiB page. Why: a buffer of its own per matrix left each matrix's tail (under 2 MiB) and
/// every matrix under 2 MiB in 4 KiB pages — 22% of the 1.5B Q4_K_M file's bytes (760 of 983 MB anonymous memory in
/// huge pages, /proc smaps) — and whole decode at 1 thread ran 1.05–1.15x faster with every buffer in 2 MiB pages
/// (session 27, the Zen 4 host). Rounding each buffer up to whole pages cost 185 MB of resident memory; regions shared
/// by the matrices in the order they are made waste at most the untouched part of one page per region.
/// </summary>
internal sealed unsafe class StreamedArena(long regionBytes = StreamedArena.DefaultRegionBytes)
{
    /// <summary>A new region's size unless a request needs more (then that request rounded up to whole 2 MiB pages).</summary>
    public const long DefaultRegionBytes = 64L << 20;
    private const long Alignment = 64;

    /// <summary>The arena every <see cref="StreamedBuffer"/> comes from.</summary>
    public static StreamedArena Shared { get; } = new();

    private readonly long _regionBytes = RoundUpToPages(regionBytes);
    private readonly Lock _gate = new();
    // Weak: a region that no buffer refers to any more is freed, not kept for the next model.
    private WeakReference<StreamedRegion>? _current;

    /// <summary><paramref name="bytes"/> of streamed memory, 64-byte aligned, and the region that holds them.</summary>
    public (StreamedRegion Region, nint Data) Take(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        long size = (bytes + Alignment - 1) / Alignment * Alignment;
        lock (_gate)
        {
            StreamedRegion? current = null;
            if (_current?.TryGetTarget(out current) == true && current.TryCut(size, out nint data)) return (current, data);
            var fresh = new StreamedRegion(Math.Max(_regionBytes, RoundUpToPages(size)));
            fresh.TryCut(size, out data);
            // The region with more room left takes the next requests: a large matrix's region may have less than the old one.
            if (current is null || fresh.Free >= current.Free) _current = new WeakReference<StreamedRegion>(fresh);
            return (fresh, data);
        }
    }

    private static long RoundUpToPages(long bytes) =>
        (bytes + StreamedMemory.HugePageBytes - 1) / StreamedMemory.HugePageBytes * StreamedMemory.HugePageBytes;
}

/// <summary>
/// One allocation of <see cref="StreamedMemory"/> (whole 2 MiB pages, all advised) cut into buffers front to back;
/// freed when the last object referring to it is collected. Pages no buffer has touched are never made resident.
/// </summary>
internal sealed unsafe class StreamedRegion
{
    private readonly byte* _base;
    private long _used;

    public StreamedRegion(long capacity)
    {
        Capacity = capacity;
        _base = StreamedMemory.Allocate(capacity);
        GC.AddMemoryPressure(capacity);
    }

    public long Capacity { get; }
    public long Free => Capacity - _used;

    /// <summary>The next <paramref name="bytes"/> of the region, if it has them (callers serialise).</summary>
    public bool TryCut(long bytes, out nint data)
    {
        data = 0;
        if (bytes > Free) return false;
        data = (nint)(_base + _used);
        _used += bytes;
        return true;
    }

    ~StreamedRegion()
    {
        StreamedMemory.Free(_base);
        GC.RemoveMemoryPressure(Capacity);
    }
}
