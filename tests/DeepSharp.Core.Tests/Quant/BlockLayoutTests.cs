using System.Runtime.CompilerServices;
using DeepSharp.Core.Quant;

namespace DeepSharp.Core.Tests.Quant;

public class BlockLayoutTests
{
    // Sizes from ggml-common.h static_asserts.
    [Fact] public void Q4_0_is_18_bytes() => Assert.Equal(18, Unsafe.SizeOf<BlockQ4_0>());
    [Fact] public void Q4_1_is_20_bytes() => Assert.Equal(20, Unsafe.SizeOf<BlockQ4_1>());
    [Fact] public void Q5_0_is_22_bytes() => Assert.Equal(22, Unsafe.SizeOf<BlockQ5_0>());
    [Fact] public void Q5_1_is_24_bytes() => Assert.Equal(24, Unsafe.SizeOf<BlockQ5_1>());
    [Fact] public void Q8_0_is_34_bytes() => Assert.Equal(34, Unsafe.SizeOf<BlockQ8_0>());
    [Fact] public void Q8_1_is_36_bytes() => Assert.Equal(36, Unsafe.SizeOf<BlockQ8_1>());
    [Fact] public void Q2_K_is_84_bytes() => Assert.Equal(84, Unsafe.SizeOf<BlockQ2K>());
    [Fact] public void Q3_K_is_110_bytes() => Assert.Equal(110, Unsafe.SizeOf<BlockQ3K>());
    [Fact] public void Q4_K_is_144_bytes() => Assert.Equal(144, Unsafe.SizeOf<BlockQ4K>());
    [Fact] public void Q5_K_is_176_bytes() => Assert.Equal(176, Unsafe.SizeOf<BlockQ5K>());
    [Fact] public void Q6_K_is_210_bytes() => Assert.Equal(210, Unsafe.SizeOf<BlockQ6K>());
    [Fact] public void Q8_K_is_292_bytes() => Assert.Equal(292, Unsafe.SizeOf<BlockQ8K>());
    [Fact] public void IQ4_NL_is_18_bytes() => Assert.Equal(18, Unsafe.SizeOf<BlockIQ4NL>());
    [Fact] public void IQ4_XS_is_136_bytes() => Assert.Equal(136, Unsafe.SizeOf<BlockIQ4XS>());

    public static TheoryData<QuantType, int, int> Structs => new()
    {
        { QuantType.Q4_0, Unsafe.SizeOf<BlockQ4_0>(), BlockQ4_0.Values },
        { QuantType.Q4_1, Unsafe.SizeOf<BlockQ4_1>(), BlockQ4_1.Values },
        { QuantType.Q5_0, Unsafe.SizeOf<BlockQ5_0>(), BlockQ5_0.Values },
        { QuantType.Q5_1, Unsafe.SizeOf<BlockQ5_1>(), BlockQ5_1.Values },
        { QuantType.Q8_0, Unsafe.SizeOf<BlockQ8_0>(), BlockQ8_0.Values },
        { QuantType.Q8_1, Unsafe.SizeOf<BlockQ8_1>(), BlockQ8_1.Values },
        { QuantType.Q2_K, Unsafe.SizeOf<BlockQ2K>(), BlockQ2K.Values },
        { QuantType.Q3_K, Unsafe.SizeOf<BlockQ3K>(), BlockQ3K.Values },
        { QuantType.Q4_K, Unsafe.SizeOf<BlockQ4K>(), BlockQ4K.Values },
        { QuantType.Q5_K, Unsafe.SizeOf<BlockQ5K>(), BlockQ5K.Values },
        { QuantType.Q6_K, Unsafe.SizeOf<BlockQ6K>(), BlockQ6K.Values },
        { QuantType.Q8_K, Unsafe.SizeOf<BlockQ8K>(), BlockQ8K.Values },
        { QuantType.IQ4_NL, Unsafe.SizeOf<BlockIQ4NL>(), BlockIQ4NL.Values },
        { QuantType.IQ4_XS, Unsafe.SizeOf<BlockIQ4XS>(), BlockIQ4XS.Values },
    };

    [Theory]
    [MemberData(nameof(Structs))]
    public void Struct_layout_agrees_with_the_type_table(QuantType type, int structBytes, int values)
    {
        QuantTypeInfo info = QuantTypeInfo.Get(type);
        Assert.Equal(info.BlockBytes, structBytes);
        Assert.Equal(info.BlockSize, values);
    }

    [Fact]
    public void Every_dequantizable_type_has_a_layout()
    {
        foreach (QuantType t in Enum.GetValues<QuantType>())
        {
            if (Dequantize.CanDequantize(t)) Assert.NotNull(QuantTypeInfo.TryGet(t));
        }
    }
}
