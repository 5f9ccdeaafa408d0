using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// llama.cpp's activation quantizers (quantize_row_q8_0 / q8_1 / q8_K), 8 floats at a time where Vector256 is
/// accelerated, each beside its scalar reference (<see cref="Q8Scalar"/>, <see cref="Q8KScalar"/>) which the tests
/// hold it to bit for bit: the maximum, the products, round-half-to-even and the integer sums are all exact or
/// rounded once per element, so the vector order changes nothing.
/// </summary>
[SkipLocalsInit]
internal static class Int8Quantizer
{
    /// <summary>One 32-value Q8_0/Q8_1 block: q ← round(x·127/amax); returns (f16(d), f16(d·Σq)) as floats.</summary>
    public static (float D, float S) Q8(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        if (!Vector256.IsHardwareAccelerated) return Q8Scalar(x, q);
        ref float px = ref MemoryMarshal.GetReference(x);
        var v0 = Vector256.LoadUnsafe(ref px);
        var v1 = Vector256.LoadUnsafe(ref px, 8);
        var v2 = Vector256.LoadUnsafe(ref px, 16);
        var v3 = Vector256.LoadUnsafe(ref px, 24);
        float amax = HorizontalMax(Vector256.Max(
            Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3))));
        float d = amax / 127f, id = amax != 0 ? 127f / amax : 0f;
        var scale = Vector256.Create(id);
        var i0 = Vector256.ConvertToInt32(Vector256.Round(v0 * scale));
        var i1 = Vector256.ConvertToInt32(Vector256.Round(v1 * scale));
        var i2 = Vector256.ConvertToInt32(Vector256.Round(v2 * scale));
        var i3 = Vector256.ConvertToInt32(Vector256.Round(v3 * scale));
        Store(i0, i1, i2, i3, q);
        int sum = Vector256.Sum((i0 + i1) + (i2 + i3));
        return ((float)(Half)d, (float)(Half)(d * sum));
    }

    /// <summary>One 256-value Q8_K block: q ← min(127, round(x·(−127/max))), bs [16] ← 16-value sums; returns d.</summary>
    public static float Q8K(ReadOnlySpan<float> x, Span<sbyte> q, Span<short> bs)
    {
        if (!Vector256.IsHardwareAccelerated) return Q8KScalar(x, q, bs);
        ref float px = ref MemoryMarshal.GetReference(x);
        var m = Vector256<float>.Zero;
        for (int i = 0; i < 256; i += 8) m = Vector256.Max(m, Vector256.Abs(Vector256.LoadUnsafe(ref px, (nuint)i)));
        float amax = HorizontalMax(m);
        if (amax == 0)
        {
            q.Clear();
            bs.Clear();
            return 0;
        }
        float iscale = -127f / FirstOfMagnitude(x, amax);
        var scale = Vector256.Create(iscale);
        var cap = Vector256.Create(127f);
        for (int j = 0; j < 16; j++)
        {
            int at = 16 * j;
            var a = Vector256.ConvertToInt32(Vector256.Min(cap, Vector256.Round(Vector256.LoadUnsafe(ref px, (nuint)at) * scale)));
            var b = Vector256.ConvertToInt32(Vector256.Min(cap, Vector256.Round(Vector256.LoadUnsafe(ref px, (nuint)at + 8) * scale)));
            var shorts = Vector256.Narrow(a, b);
            Vector128.Narrow(shorts.GetLower(), shorts.GetUpper()).StoreUnsafe(ref MemoryMarshal.GetReference(q), (nuint)at);
            bs[j] = (short)Vector256.Sum(a + b);
        }
        return 1f / iscale;
    }

    // The signed value of the first element whose magnitude is amax (the scalar loop's strict > keeps the first).
    private static float FirstOfMagnitude(ReadOnlySpan<float> x, float amax)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        var target = Vector256.Create(amax);
        for (int i = 0; ; i += 8)
        {
            uint hits = Vector256.Equals(Vector256.Abs(Vector256.LoadUnsafe(ref px, (nuint)i)), target).ExtractMostSignificantBits();
            if (hits != 0) return x[i + BitOperations.TrailingZeroCount(hits)];
        }
    }

    private static float HorizontalMax(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        return MathF.Max(MathF.Max(m[0], m[1]), MathF.Max(m[2], m[3]));
    }

    // 32 int32 values in [−127, 127] → 32 sbytes in order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<int> i0, Vector256<int> i1, Vector256<int> i2, Vector256<int> i3, Span<sbyte> q) =>
        Vector256.Narrow(Vector256.Narrow(i0, i1), Vector256.Narrow(i2, i3)).StoreUnsafe(ref MemoryMarshal.GetReference(q));

    // quantize_row_q8_0 / q8_1 (x86): q = round-half-even(x·127/amax), d stored as f16; q8_1 also stores
    // s = f16(d·Σq) with the unrounded d.
    internal static (float D, float S) Q8Scalar(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float amax = 0;
        foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
        float d = amax / 127f, id = amax != 0 ? 127f / amax : 0f;
        int sum = 0;
        for (int j = 0; j < x.Length; j++)
        {
            int v = (int)MathF.Round(x[j] * id, MidpointRounding.ToEven);
            q[j] = (sbyte)v;
            sum += v;
        }
        return ((float)(Half)d, (float)(Half)(d * sum));
    }

    // quantize_row_q8_K: scale from the signed element of largest magnitude, iscale = −127/max, q capped at 127.
    internal static float Q8KScalar(ReadOnlySpan<float> x, Span<sbyte> q, Span<short> bs)
    {
        float amax = 0, max = 0;
        foreach (float v in x)
            if (MathF.Abs(v) > amax) { amax = MathF.Abs(v); max = v; }
        if (amax == 0)
        {
            q.Clear();
            bs.Clear();
            return 0;
        }
        float iscale = -127f / max;
        for (int j = 0; j < x.Length; j++) q[j] = (sbyte)Math.Min(127, (int)MathF.Round(iscale * x[j], MidpointRounding.ToEven));
        for (int j = 0; j < bs.Length; j++)
        {
            int sum = 0;
            foreach (sbyte v in q.Slice(16 * j, 16)) sum += v;
            bs[j] = (short)sum;
        }
        return 1f / iscale;
    }
}
