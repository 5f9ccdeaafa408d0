using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Float;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// The 8-lane f16 conversions against the framework's scalar ones, bit for bit: every f16 value widened; random,
/// boundary and special floats rounded; the attention helpers and the ggml-ordered f16 dot for every length.
/// </summary>
public sealed class HalfVectorTests
{
    private static int Bits(float v) => BitConverter.SingleToInt32Bits(v);

    [Fact]
    public void Every_f16_value_widens_exactly()
    {
        var all = new Half[65536];
        for (int i = 0; i < all.Length; i++) all[i] = BitConverter.UInt16BitsToHalf((ushort)i);
        var wide = new float[all.Length];
        HalfVector.Widen(all, wide);
        for (int i = 0; i < all.Length; i++)
            Assert.True(Bits((float)all[i]) == Bits(wide[i]), $"f16 0x{i:x4}: {(float)all[i]:R} vs {wide[i]:R}");
    }

    [Fact]
    public void Every_finite_f16_value_widens_exactly_the_short_way()
    {
        var lanes = new short[8];
        for (int h = 0; h < 65536; h += 8)
        {
            for (int k = 0; k < 8; k++) lanes[k] = (short)(h + k);
            var wide = HalfVector.ToSingleFinite(System.Runtime.Intrinsics.Vector128.Create(lanes));
            for (int k = 0; k < 8; k++)
            {
                var half = BitConverter.UInt16BitsToHalf((ushort)(h + k));
                if (Half.IsFinite(half))
                    Assert.True(Bits((float)half) == Bits(wide[k]), $"f16 0x{h + k:x4}: {(float)half:R} vs {wide[k]:R}");
            }
        }
    }

    private static float[] RoundingCases()
    {
        var rng = new Random(5);
        var cases = new List<float>
        {
            0f, -0f, 1f, -1f, 65504f, 65519.996f, 65520f, 65536f, 1e10f, float.MaxValue, float.Epsilon, -float.Epsilon,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, BitConverter.Int32BitsToSingle(0x7f800001),
            BitConverter.Int32BitsToSingle(unchecked((int)0xffc01234)), MathF.Pow(2, -14), MathF.Pow(2, -24), MathF.Pow(2, -25),
            1.5f * MathF.Pow(2, -25), MathF.Pow(2, -26), 2049f, 2051f, 2050f, 1.00048828125f, 1.00146484375f,
        };
        foreach (float c in cases.ToArray()) { cases.Add(MathF.BitIncrement(c)); cases.Add(MathF.BitDecrement(c)); }
        for (int i = 0; i < 20000; i++)
            cases.Add((float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-30, 18))));
        for (int i = 0; i < 4000; i++)
            cases.Add(BitConverter.Int32BitsToSingle((rng.Next(0x3300, 0x4800) << 16) | (rng.Next(0, 8) << 13) | 0x1000));   // exact ties
        return [.. cases];
    }

    [Fact]
    public void Rounding_to_f16_equals_the_framework_conversion()
    {
        var x = RoundingCases();
        var y = new float[x.Length];
        HalfVector.RoundAll(x, y);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Bits((float)(Half)x[i]) == Bits(y[i]), $"{x[i]:R} (0x{Bits(x[i]):x8}): {(float)(Half)x[i]:R} vs {y[i]:R}");
    }

    [Fact]
    public void Sixteen_lane_rounding_equals_the_framework_conversion()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return;   // no 512-bit path on this machine
        var x = RoundingCases();
        var normal = x.Where(v => Math.Abs(v) is >= 6.103515625e-05f and <= 65504f).ToArray();   // takes the fast path
        foreach (var values in new[] { x, normal })
            for (int i = 0; i + 16 <= values.Length; i += 16)
            {
                var y = HalfVector.Round(System.Runtime.Intrinsics.Vector512.Create(values.AsSpan(i, 16)));
                for (int j = 0; j < 16; j++)
                    Assert.True(Bits((float)(Half)values[i + j]) == Bits(y[j]), $"{values[i + j]:R}: {(float)(Half)values[i + j]:R} vs {y[j]:R}");
            }
    }

    // RoundNormal rounds without a branch and only records the lanes' range: where AllNormal then says yes, every lane
    // must be the framework's rounding; it must say no exactly when a lane's magnitude is outside [2^-14, 65504]
    // (zeros, f16 subnormals, overflow, infinities and NaN). Both widths, over the rounding cases in their order and
    // over their normal-range ones alone.
    [Fact]
    public void Branch_free_normal_rounding_is_exact_where_it_says_every_lane_was_normal()
    {
        var x = RoundingCases();
        var normal = x.Where(InNormalRange).ToArray();
        int allNormal = 0;
        foreach (var values in new[] { x, normal })
        {
            for (int i = 0; i + 8 <= values.Length; i += 8)
            {
                var worst = System.Runtime.Intrinsics.Vector256<uint>.Zero;
                var y = HalfVector.RoundNormal(System.Runtime.Intrinsics.Vector256.Create(values.AsSpan(i, 8)), ref worst);
                allNormal += CheckLanes(values.AsSpan(i, 8), HalfVector.AllNormal(worst), j => y[j]);
            }
            if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) continue;
            for (int i = 0; i + 16 <= values.Length; i += 16)
            {
                var worst = System.Runtime.Intrinsics.Vector512<uint>.Zero;
                var y = HalfVector.RoundNormal(System.Runtime.Intrinsics.Vector512.Create(values.AsSpan(i, 16)), ref worst);
                allNormal += CheckLanes(values.AsSpan(i, 16), HalfVector.AllNormal(worst), j => y[j]);
            }
        }
        Assert.True(allNormal > 1000, $"only {allNormal} vectors took the fast path");
    }

    // RoundNormal's rounding is Veltkamp's split (three float operations), not the integer steps the general path
    // takes: so every float in the normal f16 range, both signs, on both widths, against the framework conversion.
    [Fact]
    public void Branch_free_normal_rounding_equals_the_framework_conversion_over_the_whole_normal_range()
    {
        const uint first = 0x3880_0000, last = 0x477f_e000;   // 2^-14 and 65504
        Parallel.For(0, 64, part =>
        {
            Span<float> lanes = stackalloc float[16];
            uint span = (last - first + 1 + 63) / 64, from = first + (uint)part * span, to = Math.Min(last + 1, from + span);
            for (uint b = from; b < to; b += 16)
            {
                for (int k = 0; k < 16; k++)
                    lanes[k] = BitConverter.UInt32BitsToSingle(Math.Min(b + (uint)k, last) | (k % 2 == 0 ? 0u : 0x8000_0000u));
                var w8 = System.Runtime.Intrinsics.Vector256<uint>.Zero;
                var w16 = System.Runtime.Intrinsics.Vector512<uint>.Zero;
                var narrow = HalfVector.RoundNormal(System.Runtime.Intrinsics.Vector256.Create((ReadOnlySpan<float>)lanes), ref w8);
                var wide = HalfVector.RoundNormal(System.Runtime.Intrinsics.Vector512.Create((ReadOnlySpan<float>)lanes), ref w16);
                for (int k = 0; k < 16; k++)
                {
                    int want = Bits((float)(Half)lanes[k]);
                    if ((k < 8 && Bits(narrow[k]) != want) || Bits(wide[k]) != want)
                        Assert.Fail($"0x{Bits(lanes[k]):x8}: want 0x{want:x8}, got 0x{Bits(k < 8 ? narrow[k] : wide[k]):x8} / 0x{Bits(wide[k]):x8}");
                }
                Assert.True(HalfVector.AllNormal(w8) && HalfVector.AllNormal(w16));
            }
        });
    }

    private static bool InNormalRange(float v) => Math.Abs(v) is >= 6.103515625e-05f and <= 65504f;

    private static int CheckLanes(ReadOnlySpan<float> values, bool saidNormal, Func<int, float> lane)
    {
        bool allInRange = true;
        foreach (float v in values) allInRange &= InNormalRange(v);
        Assert.Equal(allInRange, saidNormal);
        if (!saidNormal) return 0;
        for (int j = 0; j < values.Length; j++)
            Assert.True(Bits((float)(Half)values[j]) == Bits(lane(j)), $"{values[j]:R}: {(float)(Half)values[j]:R} vs {lane(j):R}");
        return 1;
    }

    // Widening takes 16 lanes at a time with AVX-512, the short way unless one of them is infinite or NaN: an infinity
    // or a NaN at each of the 16 places among random finite values must leave every lane exact.
    [Fact]
    public void Widening_with_one_special_value_among_sixteen_is_exact_in_every_lane()
    {
        var rng = new Random(9);
        ushort[] specials = [0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe37];
        foreach (ushort special in specials)
            for (int at = 0; at < 16; at++)
            {
                var src = new Half[40];
                for (int i = 0; i < src.Length; i++) src[i] = BitConverter.UInt16BitsToHalf((ushort)(rng.Next(0, 0x7c00) | (rng.Next(2) << 15)));
                src[at] = src[16 + at] = BitConverter.UInt16BitsToHalf(special);
                var wide = new float[src.Length];
                HalfVector.Widen(src, wide);
                for (int i = 0; i < src.Length; i++)
                    Assert.True(Bits((float)src[i]) == Bits(wide[i]), $"special 0x{special:x4} at {at}, lane {i}: {(float)src[i]:R} vs {wide[i]:R}");
            }
    }

    // A block of cache rows widened in one call: each row's slice as the framework converts it, nothing written past
    // rows·len, for row lengths on and off the 16-lane path, strides wider than the rows, and rows holding specials.
    [Theory]
    [InlineData(16, 1, 16), InlineData(64, 16, 128), InlineData(128, 16, 256), InlineData(64, 7, 64), InlineData(24, 3, 40), InlineData(8, 5, 9)]
    public void A_block_of_rows_widens_as_each_row_does(int len, int rows, int stride)
    {
        var rng = new Random(len * 31 + rows);
        var src = new Half[(rows - 1) * stride + len + 3];
        for (int i = 0; i < src.Length; i++) src[i] = BitConverter.UInt16BitsToHalf((ushort)rng.Next(0, 0x10000));
        src[1 + (rows - 1) * stride + len / 2] = BitConverter.UInt16BitsToHalf(0x7c00);   // an infinity in the last row
        var dst = new float[rows * len + 5];
        dst.AsSpan().Fill(-7f);
        HalfVector.WidenRows(src.AsSpan(1), stride, rows, len, dst);
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < len; i++)
            {
                float want = (float)src[1 + r * stride + i];
                Assert.True(Bits(want) == Bits(dst[r * len + i]), $"row {r}, value {i}: {want:R} vs {dst[r * len + i]:R}");
            }
        Assert.All(dst[(rows * len)..], v => Assert.Equal(-7f, v));
    }

    [Theory, MemberData(nameof(TestData.Lengths1To256), MemberType = typeof(TestData))]
    public void Widened_source_axpy_equals_its_scalar_form(int n)
    {
        var src = TestData.Random(n, n + 7, 3f).Select(v => (float)(Half)v).ToArray();
        var acc = TestData.Random(n, n + 8, 2f).Select(v => (float)(Half)v).ToArray();
        var expected = acc.Select((a, i) => (float)(Half)MathF.FusedMultiplyAdd(src[i], -0.73f, a)).ToArray();
        HalfVector.FusedAxpyRounded(src, -0.73f, acc);
        Assert.Equal(expected.Select(Bits), acc.Select(Bits));
    }

    // Several rows against one source (a KV group's heads against one value row): each row's lanes exactly as the
    // scalar form, for every length (16-lane chunks, then the one-row form's 8-lane and scalar tails), 1–7 rows, with
    // tiny sums (f16 subnormals), overflow to infinity and a NaN among them.
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(16, 7)]
    [InlineData(40, 2)]
    [InlineData(64, 7)]
    [InlineData(128, 6)]
    [InlineData(131, 5)]
    public void Widened_source_axpy_over_several_rows_equals_the_scalar_form_row_by_row(int n, int rows)
    {
        var src = TestData.Random(n, n + 3, 3f).Select(v => (float)(Half)v).ToArray();
        var acc = TestData.Random(n * rows, n + 4, 2f).Select(v => (float)(Half)v).ToArray();
        var w = TestData.Random(rows, rows, 1f);
        acc[0] = 1e-6f;
        acc[^1] = 65000f;
        if (rows > 1) (w[1], acc[n]) = (float.NaN, -1e-7f);
        var expected = acc.Select((a, i) => (float)(Half)MathF.FusedMultiplyAdd(src[i % n], w[i / n], a)).ToArray();
        HalfVector.FusedAxpyRoundedRows(src, w, acc);
        Assert.Equal(expected.Select(Bits), acc.Select(Bits));
    }

    [Theory, MemberData(nameof(TestData.Lengths1To256), MemberType = typeof(TestData))]
    public void Attention_helpers_equal_their_scalar_forms(int n)
    {
        var src = TestData.Random(n, n, 3f).Select(v => (Half)v).ToArray();
        var acc = TestData.Random(n, n + 1, 2f).Select(v => (float)(Half)v).ToArray();
        var expected = acc.Select((a, i) => (float)(Half)MathF.FusedMultiplyAdd((float)src[i], 0.37f, a)).ToArray();
        var actual = (float[])acc.Clone();
        HalfVector.FusedAxpyRounded(src, 0.37f, actual);
        Assert.Equal(expected.Select(Bits), actual.Select(Bits));

        expected = acc.Select(a => (float)(Half)(a * 0.61f)).ToArray();
        actual = (float[])acc.Clone();
        HalfVector.ScaleRounded(actual, 0.61f);
        Assert.Equal(expected.Select(Bits), actual.Select(Bits));
    }

    [Fact]
    public void The_f16_dot_equals_its_lane_by_lane_reference_for_every_length()
    {
        for (int n = 1; n <= 320; n++)
        {
            var k = TestData.Random(n, 3 * n, 2f).Select(v => (Half)v).ToArray();
            var q = TestData.Random(n, 3 * n + 1, 2f).Select(v => (float)(Half)v).ToArray();
            Assert.True(Bits(HalfDot.LikeGgmlScalar(k, q)) == Bits(HalfDot.LikeGgml(k, q)), $"n={n}");
        }
    }
}
