using System.Runtime.InteropServices;
using DeepSharp.Core.Quant;

namespace DeepSharp.Core.Tests.Quant;

/// <summary>Blocks built by hand from the ggml-common.h layouts, decoded to the values their formulas give.</summary>
public class DequantizeKnownBlockTests
{
    private static readonly sbyte[] Iq4Grid = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    private static float[] Decode<T>(QuantType type, T block, int values) where T : struct
    {
        var y = new float[values];
        Dequantize.Row(type, MemoryMarshal.AsBytes(new[] { block }.AsSpan()), y);
        return y;
    }

    [Fact]
    public void Q8_0_is_scale_times_quant()
    {
        var b = new BlockQ8_0 { D = (Half)0.5f };
        for (int j = 0; j < 32; j++) b.Qs[j] = (sbyte)(j - 16);
        float[] y = Decode(QuantType.Q8_0, b, 32);
        for (int j = 0; j < 32; j++) Assert.Equal((j - 16) * 0.5f, y[j]);
    }

    [Fact]
    public void Q4_0_low_nibbles_are_the_first_half_and_offset_by_8()
    {
        var b = new BlockQ4_0 { D = (Half)2f };
        for (int j = 0; j < 16; j++) b.Qs[j] = (byte)(j | ((15 - j) << 4));
        float[] y = Decode(QuantType.Q4_0, b, 32);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal((j - 8) * 2f, y[j]);
            Assert.Equal((7 - j) * 2f, y[j + 16]);
        }
    }

    [Fact]
    public void Q4_1_adds_the_minimum()
    {
        var b = new BlockQ4_1 { D = (Half)0.25f, M = (Half)(-1f) };
        for (int j = 0; j < 16; j++) b.Qs[j] = (byte)(j | (3 << 4));
        float[] y = Decode(QuantType.Q4_1, b, 32);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(j * 0.25f - 1f, y[j]);
            Assert.Equal(3 * 0.25f - 1f, y[j + 16]);
        }
    }

    [Fact]
    public void Q5_0_takes_bit_j_of_qh_as_the_fifth_bit_of_value_j()
    {
        var b = new BlockQ5_0 { D = (Half)1f };
        for (int j = 0; j < 16; j++) b.Qs[j] = 0xFF;
        // qh = 0xFFFF0000 little-endian: values 16..31 have the fifth bit, 0..15 do not.
        b.Qh[2] = 0xFF;
        b.Qh[3] = 0xFF;
        float[] y = Decode(QuantType.Q5_0, b, 32);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(15 - 16, y[j]);
            Assert.Equal(31 - 16, y[j + 16]);
        }
    }

    [Fact]
    public void Q5_1_is_scale_times_5bit_plus_minimum()
    {
        var b = new BlockQ5_1 { D = (Half)0.5f, M = (Half)1f };
        for (int j = 0; j < 16; j++) b.Qs[j] = 0x21;
        for (int k = 0; k < 4; k++) b.Qh[k] = 0x55; // even values get the fifth bit
        float[] y = Decode(QuantType.Q5_1, b, 32);
        for (int j = 0; j < 32; j++)
        {
            int q = (j < 16 ? 1 : 2) + (j % 2 == 0 ? 16 : 0);
            Assert.Equal(q * 0.5f + 1f, y[j]);
        }
    }

    [Fact]
    public void Q4_K_unpacks_6bit_scales_and_mins()
    {
        int[] sc = [1, 2, 3, 4, 17, 33, 49, 63];
        int[] mn = [0, 5, 10, 15, 20, 40, 60, 63];
        var b = new BlockQ4K { D = (Half)1f, Dmin = (Half)0.5f };
        for (int j = 0; j < 4; j++)
        {
            b.Scales[j] = (byte)(sc[j] | ((sc[j + 4] >> 4) << 6));
            b.Scales[j + 4] = (byte)(mn[j] | ((mn[j + 4] >> 4) << 6));
            b.Scales[j + 8] = (byte)((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
        }
        for (int i = 0; i < 128; i++) b.Qs[i] = (byte)((i % 16) | ((15 - i % 16) << 4));
        float[] y = Decode(QuantType.Q4_K, b, 256);
        for (int v = 0; v < 256; v++)
        {
            int sub = v / 32, l = v % 32;
            int q = sub % 2 == 0 ? l % 16 : 15 - l % 16; // even sub-blocks use low nibbles, odd the high ones
            Assert.Equal(1f * sc[sub] * q - 0.5f * mn[sub], y[v]);
        }
    }

    [Fact]
    public void Q5_K_adds_16_for_each_high_bit()
    {
        var b = new BlockQ5K { D = (Half)1f, Dmin = (Half)0f };
        for (int j = 0; j < 4; j++) b.Scales[j] = 1;
        for (int j = 8; j < 12; j++) b.Scales[j] = 1; // scales of sub-blocks 4..7 = 1, all mins 0
        for (int i = 0; i < 128; i++) b.Qs[i] = 0x32; // low nibble 2, high nibble 3
        for (int l = 0; l < 32; l++) b.Qh[l] = 0b1010_0101; // sub-blocks 0, 2, 5, 7 get the fifth bit
        float[] y = Decode(QuantType.Q5_K, b, 256);
        for (int v = 0; v < 256; v++)
        {
            int sub = v / 32;
            int q = (sub % 2 == 0 ? 2 : 3) + (sub is 0 or 2 or 5 or 7 ? 16 : 0);
            Assert.Equal(q, y[v]);
        }
    }

    [Fact]
    public void Q6_K_splits_each_half_into_four_quarters()
    {
        var b = new BlockQ6K { D = (Half)0.5f };
        for (int g = 0; g < 16; g++) b.Scales[g] = (sbyte)(g - 8);
        for (int h = 0; h < 2; h++)
        {
            for (int l = 0; l < 32; l++)
            {
                b.Ql[h * 64 + l] = 1 | (2 << 4);      // quarters 0 and 2
                b.Ql[h * 64 + l + 32] = 3 | (4 << 4); // quarters 1 and 3
                b.Qh[h * 32 + l] = 0b00_01_00_10;     // high bits: quarter 0 → 2, quarter 2 → 1
            }
        }
        float[] y = Decode(QuantType.Q6_K, b, 256);
        int[] quarter = [1 + (2 << 4), 3, 2 + (1 << 4), 4];
        for (int v = 0; v < 256; v++)
            Assert.Equal(0.5f * (v / 16 - 8) * (quarter[(v % 128) / 32] - 32), y[v]);
    }

    [Fact]
    public void Q2_K_uses_bit_pairs_per_quarter_and_4bit_scale_min()
    {
        var b = new BlockQ2K { D = (Half)1f, Dmin = (Half)0.5f };
        for (int g = 0; g < 16; g++) b.Scales[g] = (byte)((1 + g % 4) | ((g / 4) << 4));
        for (int i = 0; i < 64; i++) b.Qs[i] = 0b11_10_01_00;
        float[] y = Decode(QuantType.Q2_K, b, 256);
        for (int v = 0; v < 256; v++)
        {
            int g = v / 16, level = (v % 128) / 32;
            Assert.Equal((1 + g % 4) * level - 0.5f * (g / 4), y[v]);
        }
    }

    [Fact]
    public void Q3_K_subtracts_4_where_the_high_bit_is_clear()
    {
        var b = new BlockQ3K { D = (Half)2f };
        // All sixteen 6-bit scales = 33 (→ +1): low nibbles 1, high bit pairs 2.
        for (int j = 0; j < 8; j++) b.Scales[j] = 0x11;
        for (int j = 8; j < 12; j++) b.Scales[j] = 0xAA;
        for (int i = 0; i < 64; i++) b.Qs[i] = 0b11_10_01_00;
        for (int l = 0; l < 32; l++) b.HMask[l] = 0xFE; // bit 0 clear: values 0..31 lose 4
        float[] y = Decode(QuantType.Q3_K, b, 256);
        for (int v = 0; v < 256; v++)
        {
            int level = (v % 128) / 32 - (v < 32 ? 4 : 0);
            Assert.Equal(2f * level, y[v]);
        }
    }

    [Fact]
    public void Q8_K_has_an_fp32_scale()
    {
        var b = new BlockQ8K { D = 0.25f };
        for (int j = 0; j < 256; j++) b.Qs[j] = (sbyte)(j - 128);
        float[] y = Decode(QuantType.Q8_K, b, 256);
        for (int j = 0; j < 256; j++) Assert.Equal((j - 128) * 0.25f, y[j]);
    }

    [Fact]
    public void IQ4_NL_indexes_the_nonlinear_grid()
    {
        var b = new BlockIQ4NL { D = (Half)0.5f };
        for (int j = 0; j < 16; j++) b.Qs[j] = (byte)(j | ((15 - j) << 4));
        float[] y = Decode(QuantType.IQ4_NL, b, 32);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(0.5f * Iq4Grid[j], y[j]);
            Assert.Equal(0.5f * Iq4Grid[15 - j], y[j + 16]);
        }
    }

    [Fact]
    public void IQ4_XS_combines_low_and_high_scale_bits()
    {
        var b = new BlockIQ4XS { D = (Half)1f, ScalesH = 0b10_10_10_10_01_01_01_01 };
        for (int k = 0; k < 4; k++) b.ScalesL[k] = 0x21; // even sub-blocks low 1, odd low 2
        for (int i = 0; i < 128; i++) b.Qs[i] = (byte)((i % 16) | (((i + 1) % 16) << 4));
        float[] y = Decode(QuantType.IQ4_XS, b, 256);
        for (int v = 0; v < 256; v++)
        {
            int ib = v / 32, l = v % 32;
            int ls = (ib % 2 == 0 ? 1 : 2) | ((ib < 4 ? 1 : 2) << 4);
            int index = l < 16 ? l : (l - 16 + 1) % 16;
            Assert.Equal((ls - 32) * (float)Iq4Grid[index], y[v]);
        }
    }

    [Fact]
    public void F16_and_BF16_decode_their_bit_patterns()
    {
        byte[] f16 = [0x00, 0x3E, 0x00, 0xC0]; // 1.5, -2
        byte[] bf16 = [0xC0, 0x3F, 0x49, 0x40]; // 1.5, 3.140625
        var y = new float[2];
        Dequantize.Row(QuantType.F16, f16, y);
        Assert.Equal([1.5f, -2f], y);
        Dequantize.Row(QuantType.BF16, bf16, y);
        Assert.Equal([1.5f, 3.140625f], y);
    }

    [Fact]
    public void Mismatched_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Dequantize.Row(QuantType.Q8_0, new byte[34], new float[64]));
        Assert.Throws<ArgumentException>(() => Dequantize.Row(QuantType.Q4_K, new byte[144], new float[200]));
        Assert.Throws<NotSupportedException>(() => Dequantize.Row(QuantType.IQ2_XXS, new byte[66], new float[256]));
    }
}
