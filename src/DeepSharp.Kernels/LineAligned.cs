using System.Runtime.CompilerServices;

namespace DeepSharp.Kernels;

/// <summary>
/// A buffer whose first element starts a 64-byte cache line and whose last line is its own: a 512-bit load at a
/// multiple of 64 bytes never straddles two lines, and no other object shares its lines (so threads that each write
/// their own buffers do not false-share). A pinned array with the offset of its first aligned element: ordinary
/// arrays start wherever the allocator puts them, and the attention buffers' speed changed by ~10% from one process
/// to the next with that placement.
/// </summary>
internal sealed unsafe class LineAligned<T> where T : unmanaged
{
    private const int LineBytes = 64;
    private readonly T[] _array;   // pinned, so the offset stays right
    private readonly int _offset;

    public LineAligned(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (LineBytes % sizeof(T) != 0) throw new NotSupportedException($"{typeof(T)} does not divide a cache line");
        int perLine = LineBytes / sizeof(T);
        Length = length;
        _array = GC.AllocateArray<T>(checked((length + perLine - 1) / perLine * perLine + perLine), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref _array[0]);
        _offset = (int)((LineBytes - (address & (LineBytes - 1))) & (LineBytes - 1)) / sizeof(T);
    }

    public int Length { get; }

    public Span<T> Span => _array.AsSpan(_offset, Length);

    /// <summary>Element i (0 ≤ i &lt; Length; the check is the array's, which has a line more).</summary>
    public ref T this[int i] => ref _array[_offset + i];
}
