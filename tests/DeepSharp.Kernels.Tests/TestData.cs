using System.Runtime.InteropServices;
using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Kernels.Tests;

internal static class TestData
{
    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return x;
    }

    /// <summary>The same float bits (signed zeros and NaN payloads told apart).</summary>
    public static void AssertSameBits(float expected, float actual, string what) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
            $"{what}: scalar {expected:R}, got {actual:R}");

    /// <summary>y [r] has <paramref name="expected"/>(r)'s bits for every row but <paramref name="nonFiniteRow"/>, where both are infinite or NaN.</summary>
    public static void AssertSameBitsExceptNonFinite(Func<int, float> expected, float[] y, int nonFiniteRow)
    {
        for (int r = 0; r < y.Length; r++)
        {
            float e = expected(r);
            if (r == nonFiniteRow) Assert.True(!float.IsFinite(e) && !float.IsFinite(y[r]), $"row {r}: {e}, {y[r]}");
            else AssertSameBits(e, y[r], $"row {r}");
        }
    }

    public static IEnumerable<object[]> Lengths1To256() => Enumerable.Range(1, 256).Select(n => new object[] { n });

    /// <summary>A [rows, cols] weight of <paramref name="type"/> in pinned memory (kept alive by the returned array).</summary>
    public static (QTensor Tensor, byte[] Keep) Weight(QuantType type, int rows, int cols, int seed)
    {
        long rowBytes = QuantTypeInfo.Get(type).RowBytes(cols);
        var bytes = GC.AllocateArray<byte>((int)(rowBytes * rows), pinned: true);
        var values = Random(rows * cols, seed);
        for (int r = 0; r < rows; r++)
            Quantize.Row(type, values.AsSpan(r * cols, cols), bytes.AsSpan((int)(r * rowBytes), (int)rowBytes));
        var t = new QTensor($"w.{type}", type, [cols, rows], Marshal.UnsafeAddrOfPinnedArrayElement(bytes, 0), bytes.Length);
        return (t, bytes);
    }
}
