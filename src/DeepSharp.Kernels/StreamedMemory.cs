using System.Runtime.InteropServices;

namespace DeepSharp.Kernels;

/// <summary>
/// Native memory for data that decode streams end to end once per token (the packed weights), backed on Linux by
/// 2 MiB pages where the kernel allows them: the buffer starts on a 2 MiB boundary and its whole 2 MiB pages are
/// advised <c>MADV_HUGEPAGE</c> before anything touches them (the tail, under 2 MiB, keeps 4 KiB pages, so no memory
/// is held beyond the buffer's size). Why: with transparent huge pages left to <c>madvise</c> (Debian's default) a
/// buffer gets 4 KiB pages, and reading 512 MiB with 4 KiB pages ran at 24–32 GB/s on two threads against 33–42 with
/// 2 MiB pages, 21–23 against 22–28 on one (session 21, alternated in one process): a page walk every 4 KiB, and a
/// hardware prefetcher that stops at each 4 KiB boundary. Elsewhere, or where the call fails, the memory is
/// ordinary: the advice changes speed, never results.
/// </summary>
public static unsafe partial class StreamedMemory
{
    /// <summary>The huge page size that the advice asks for (x86-64 and most ARM64 Linux kernels).</summary>
    public const long HugePageBytes = 2L << 20;
    private const int MadvHugePage = 14;
    private static bool _adviceUnavailable;

    /// <summary>
    /// <paramref name="bytes"/> of native memory, 64-byte aligned (2 MiB aligned from 2 MiB up), uninitialised; free
    /// it with <see cref="Free"/>.
    /// </summary>
    public static byte* Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        if (bytes < HugePageBytes || !OperatingSystem.IsLinux()) return (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        byte* data = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, (nuint)HugePageBytes);
        AdviseHugePages(data, bytes / HugePageBytes * HugePageBytes);
        return data;
    }

    public static void Free(byte* data) => NativeMemory.AlignedFree(data);

    /// <summary>
    /// Until the result is disposed, the weight copies made in this flow of execution (and in the tasks it starts) share
    /// their 2 MiB-page regions with each other only. Open one around a model's load. Why: a model's small copies
    /// placed in the room left in an earlier model's regions would keep those regions — most of that model's memory —
    /// resident after it is dropped.
    /// </summary>
    public static IDisposable BeginModel() => StreamedArena.OpenScope();

    // Best effort: a libc without madvise, or a kernel without transparent huge pages, leaves 4 KiB pages.
    private static void AdviseHugePages(byte* data, long bytes)
    {
        if (_adviceUnavailable) return;
        try
        {
            _ = Madvise(data, (nuint)bytes, MadvHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _adviceUnavailable = true;
        }
    }

    // The engine's one native call, a hint to the operating system about memory (no managed API gives it); the rule
    // that src/ calls no other native code is RepositoryRulesTests'.
    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}

/// <summary>
/// A piece of <see cref="StreamedMemory"/> owned by an object: on Linux cut from a region that
/// <see cref="StreamedArena"/> shares between pieces, elsewhere a region of its own (no huge pages to share there); a
/// region is freed when no piece of it is referred to any more.
/// </summary>
internal sealed unsafe class StreamedBuffer
{
    public StreamedBuffer(long bytes)
    {
        Length = bytes;
        (Region, nint data) = OperatingSystem.IsLinux() ? StreamedArena.Current.Take(bytes) : StreamedRegion.Whole(bytes);
        Data = (byte*)data;
    }

    public byte* Data { get; }
    public long Length { get; }
    /// <summary>The region the piece is cut from, kept alive by every piece of it.</summary>
    internal StreamedRegion Region { get; }
}
