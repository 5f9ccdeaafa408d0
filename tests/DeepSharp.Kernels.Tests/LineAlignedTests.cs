using System.Runtime.CompilerServices;
using DeepSharp.Kernels;

namespace DeepSharp.Kernels.Tests;

public unsafe class LineAlignedTests
{
    [Fact]
    public void Every_buffer_starts_a_cache_line_and_its_span_is_its_elements()
    {
        var keep = new List<object>();   // live neighbours, so the allocator places each buffer at a new address
        for (int n = 0; n <= 70; n++)
        {
            Check(new LineAligned<float>(n), n, i => i + 0.5f);
            Check(new LineAligned<Half>(n), n, i => (Half)i);
            Check(new LineAligned<byte>(n), n, i => (byte)i);
            keep.Add(new byte[n % 13 + 1]);
        }
    }

    private static void Check<T>(LineAligned<T> buffer, int n, Func<int, T> value) where T : unmanaged
    {
        Assert.Equal(n, buffer.Length);
        Assert.Equal(n, buffer.Span.Length);
        Assert.Equal(0, (long)Unsafe.AsPointer(ref buffer[0]) % 64);
        for (int i = 0; i < n; i++) buffer[i] = value(i);
        for (int i = 0; i < n; i++) Assert.Equal(value(i), buffer.Span[i]);
        if (n > 0) Assert.True(Unsafe.AreSame(ref buffer[0], ref buffer.Span[0]));
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Size = 3)]
    private struct ThreeBytes;

    [Fact]
    public void An_element_size_that_does_not_divide_a_line_is_refused() =>
        Assert.Throws<NotSupportedException>(() => new LineAligned<ThreeBytes>(4));
}
