namespace DeepSharp.Kernels;

/// <summary>
/// Hands out <see cref="StreamedBuffer"/>s from regions of whole 2 MiB pages, so that every byte of the weights lies in
/// a 2 MiB page. Why: a buffer of its own per matrix left each matrix's tail (under 2 MiB) and every matrix under 2 MiB
/// in 4 KiB pages — 22% of the 1.5B Q4_K_M file's bytes (760 of 983 MB anonymous memory in huge pages, /proc smaps) —
/// and whole decode at 1 thread ran 1.05–1.15x faster with every buffer in 2 MiB pages (session 27, the Zen 4 host;
/// measured again later, 0–8% and within the noise of one process against another, while a plain read of the products'
/// bytes rose from ~21 to ~30 GB/s, level with the probe). Rounding each buffer up to whole pages instead cost 185 MB
/// of resident memory. Linux only, where the advice is given (elsewhere each buffer is an allocation of its own, see
/// <see cref="StreamedBuffer"/>). Each buffer goes where it fits most tightly (best fit over the regions with room
/// left), so small matrices fill the last, partly used page of a large one's region: only touched pages are resident,
/// and a page left partly used is memory held for nothing.
/// </summary>
/// <param name="largestRegion">The size regions grow to.</param>
/// <param name="firstRegion">The first region's size; each new one is twice the last, up to <paramref name="largestRegion"/>.</param>
internal sealed unsafe class StreamedArena(long largestRegion = StreamedArena.LargestRegionBytes, long firstRegion = StreamedArena.FirstRegionBytes)
{
    /// <summary>
    /// The size regions grow to, unless a request needs more (then that request rounded up to whole 2 MiB pages).
    /// Large, so that few regions end in a partly used page: DeepSeek-V2-Lite's peak resident memory came out 60 MB
    /// above the buffer-per-matrix layout's with 64 MiB regions (its ~100 MB expert stacks each took a region of their
    /// own), and level with it with 256 MiB or 1 GiB ones.
    /// </summary>
    public const long LargestRegionBytes = 256L << 20;

    /// <summary>
    /// The first region's size: a small model (the shipped default is a few MB) reserves little address space, which
    /// counts where the system does not overcommit, though pages no buffer touches are never resident.
    /// </summary>
    public const long FirstRegionBytes = 8L << 20;
    private const long Alignment = 64;

    /// <summary>The arena <see cref="StreamedBuffer"/>s come from outside any <see cref="OpenScope"/>.</summary>
    public static StreamedArena Shared { get; } = new();

    // The innermost open scope's arena in this flow of execution (tasks started inside a scope see it too).
    private static readonly AsyncLocal<StreamedArena?> Scoped = new();

    /// <summary>The arena a <see cref="StreamedBuffer"/> made here comes from: the innermost open scope's, else <see cref="Shared"/>.</summary>
    public static StreamedArena Current => Scoped.Value ?? Shared;

    /// <summary>A fresh arena for the buffers made until the result is disposed (see <see cref="StreamedMemory.BeginModel"/>).</summary>
    public static IDisposable OpenScope()
    {
        var outer = Scoped.Value;
        Scoped.Value = new StreamedArena();
        return new ScopeEnd(outer);
    }

    private sealed class ScopeEnd(StreamedArena? outer) : IDisposable
    {
        public void Dispose() => Scoped.Value = outer;
    }

    private readonly long _largestRegion = RoundUpToPages(largestRegion);
    private long _nextRegion = Math.Min(RoundUpToPages(firstRegion), RoundUpToPages(largestRegion));
    private readonly Lock _gate = new();
    // Weak: a region that no buffer refers to any more is freed, not kept for the next model.
    private readonly List<WeakReference<StreamedRegion>> _open = [];

    /// <summary><paramref name="bytes"/> of streamed memory, 64-byte aligned, and the region that holds them.</summary>
    public (StreamedRegion Region, nint Data) Take(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        long size = (bytes + Alignment - 1) / Alignment * Alignment;
        lock (_gate)
        {
            var region = TightestFit(size);
            if (region is null)
            {
                region = new StreamedRegion(Math.Max(_nextRegion, RoundUpToPages(size)));
                _open.Add(new WeakReference<StreamedRegion>(region));
                _nextRegion = Math.Min(2 * _nextRegion, _largestRegion);
            }
            region.TryCut(size, out nint data);
            return (region, data);
        }
    }

    // The open region with the least room that still holds size bytes; drops collected and full regions on the way.
    private StreamedRegion? TightestFit(long size)
    {
        StreamedRegion? best = null;
        for (int i = _open.Count - 1; i >= 0; i--)
        {
            if (!_open[i].TryGetTarget(out var region) || region.Free < Alignment)
            {
                _open.RemoveAt(i);
                continue;
            }
            if (region.Free >= size && (best is null || region.Free < best.Free)) best = region;
        }
        return best;
    }

    private static long RoundUpToPages(long bytes) =>
        (bytes + StreamedMemory.HugePageBytes - 1) / StreamedMemory.HugePageBytes * StreamedMemory.HugePageBytes;
}

/// <summary>
/// One allocation of <see cref="StreamedMemory"/> cut into buffers front to back (the arena's are whole 2 MiB pages,
/// all advised); freed when the last object referring to it is collected. Pages no buffer has touched are never made
/// resident.
/// </summary>
internal sealed unsafe class StreamedRegion
{
    private readonly byte* _base;
    private long _used;

    public StreamedRegion(long capacity)
    {
        Capacity = capacity;
        _base = StreamedMemory.Allocate(capacity);
    }

    /// <summary>A region of exactly <paramref name="bytes"/>, all of it handed out at once.</summary>
    public static (StreamedRegion Region, nint Data) Whole(long bytes)
    {
        var region = new StreamedRegion(bytes);
        region.TryCut(bytes, out nint data);
        return (region, data);
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
        GC.AddMemoryPressure(bytes);   // what is used, not the region's size: untouched pages cost nothing
        return true;
    }

    ~StreamedRegion()
    {
        StreamedMemory.Free(_base);
        if (_used > 0) GC.RemoveMemoryPressure(_used);
    }
}
