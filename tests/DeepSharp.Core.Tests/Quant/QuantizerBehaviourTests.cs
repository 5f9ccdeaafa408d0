using System.Runtime.InteropServices;
using DeepSharp.Core.Quant;

namespace DeepSharp.Core.Tests.Quant;

/// <summary>Specific outputs of the reference quantizers, worked out by hand from ggml's formulas.</summary>
public class QuantizerBehaviourTests
{
    [Fact]
    public void Q4_0_maps_the_largest_magnitude_to_minus_8_and_truncates_after_adding_8_5()
    {
        var x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = -8 + j * 0.5f; // max magnitude −8 → d = 1
        BlockQ4_0 b = MemoryMarshal.Cast<byte, BlockQ4_0>(QuantTestData.QuantizeRow(QuantType.Q4_0, x))[0];
        Assert.Equal(1f, (float)b.D);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal((j + 1) / 2, b.Qs[j] & 0xF);                 // truncate(j/2 + 0.5)
            Assert.Equal(Math.Min(15, (j + 17) / 2), b.Qs[j] >> 4);   // value j+16, clamped at 15
        }
    }

    [Fact]
    public void Q8_0_rounds_half_away_from_zero()
    {
        var x = new float[32];
        x[0] = 127f; // d = 1
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 0.5f;
        BlockQ8_0 b = MemoryMarshal.Cast<byte, BlockQ8_0>(QuantTestData.QuantizeRow(QuantType.Q8_0, x))[0];
        Assert.Equal(1f, (float)b.D);
        Assert.Equal(127, b.Qs[0]);
        Assert.Equal(3, b.Qs[1]);
        Assert.Equal(-3, b.Qs[2]);
        Assert.Equal(1, b.Qs[3]);
    }

    [Fact]
    public void Q8_K_scale_takes_the_sign_that_maps_the_extreme_to_minus_127_and_keeps_group_sums()
    {
        var x = new float[256];
        for (int j = 0; j < 256; j++) x[j] = (j % 17) * 0.125f; // all ≥ 0, max 2
        BlockQ8K b = MemoryMarshal.Cast<byte, BlockQ8K>(QuantTestData.QuantizeRow(QuantType.Q8_K, x))[0];
        Assert.Equal(-2f / 127f, b.D, 6);
        Assert.Equal(-127, b.Qs[16]);
        for (int g = 0; g < 16; g++)
        {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += b.Qs[16 * g + l];
            Assert.Equal(sum, b.Bsums[g]);
        }
    }

    [Fact]
    public void Q8_1_stores_scale_times_quant_sum()
    {
        float[] x = QuantTestData.Generate(2f, 32);
        BlockQ8_1 b = MemoryMarshal.Cast<byte, BlockQ8_1>(QuantTestData.QuantizeRow(QuantType.Q8_1, x))[0];
        int sum = 0;
        for (int j = 0; j < 32; j++) sum += b.Qs[j];
        float amax = x.Max(MathF.Abs);
        Assert.Equal((float)(Half)(amax / 127), (float)b.D);
        Assert.Equal((float)(Half)(sum * (amax / 127)), (float)b.S);
    }

    [Fact]
    public void BF16_rounds_to_nearest_even_and_keeps_nan_quiet()
    {
        float[] x = [BitConverter.Int32BitsToSingle(0x3F808000), BitConverter.Int32BitsToSingle(0x3F818000), float.NaN, 1.5f];
        ushort[] bits = MemoryMarshal.Cast<byte, ushort>(QuantTestData.QuantizeRow(QuantType.BF16, x)).ToArray();
        Assert.Equal(0x3F80, bits[0]); // tie, 0x3F80 is even
        Assert.Equal(0x3F82, bits[1]); // tie, rounds up to even
        Assert.True((bits[2] & 0x7F80) == 0x7F80 && (bits[2] & 0x40) != 0);
        Assert.Equal(0x3FC0, bits[3]);
    }

    [Theory]
    [InlineData(QuantType.Q4_K)]
    [InlineData(QuantType.Q5_K)]
    public void K_quant_sub_block_scales_are_6_bit_fractions_of_the_largest(QuantType type)
    {
        // Non-negative data: every minimum is 0 (so Dmin and all 6-bit mins are 0) and the largest scale is stored as 63.
        var x = new float[256];
        for (int v = 0; v < 256; v++) x[v] = (v / 32 + 1) * (v % 32) / 31f;
        byte[] q = QuantTestData.QuantizeRow(type, x);
        Assert.Equal(0f, (float)MemoryMarshal.Read<Half>(q.AsSpan(2)));
        ReadOnlySpan<byte> packed = q.AsSpan(4, 12);
        int maxScale = 0;
        for (int j = 0; j < 8; j++)
        {
            QuantMath.GetScaleMinK4(j, packed, out byte sc, out byte m);
            Assert.Equal(0, m);
            maxScale = Math.Max(maxScale, sc);
        }
        Assert.Equal(63, maxScale);
    }
}
