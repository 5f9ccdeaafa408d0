namespace DeepSharp.Core.Quant;

/// <summary>Storage layout of one <see cref="QuantType"/>: how many elements a block holds and how many bytes it takes.</summary>
/// <remarks>Values from ggml's type-traits table (ggml.c <c>type_traits</c>); a tensor row must be a whole number of blocks.</remarks>
public readonly record struct QuantTypeInfo(QuantType Type, string Name, int BlockSize, int BlockBytes)
{
    private static readonly QuantTypeInfo?[] Table = BuildTable();

    /// <summary>The layout of <paramref name="type"/>, or null when the id is not a type we know.</summary>
    public static QuantTypeInfo? TryGet(QuantType type)
    {
        int id = (int)type;
        return id >= 0 && id < Table.Length ? Table[id] : null;
    }

    /// <summary>The layout of <paramref name="type"/>; throws for an unknown id.</summary>
    public static QuantTypeInfo Get(QuantType type) =>
        TryGet(type) ?? throw new ArgumentOutOfRangeException(nameof(type), (int)type, "unknown tensor type id");

    /// <summary>Bytes taken by <paramref name="elements"/> values; throws if not a whole number of blocks or on overflow.</summary>
    public long RowBytes(long elements)
    {
        if (elements % BlockSize != 0)
            throw new ArgumentException($"{elements} elements is not a multiple of the {Name} block size {BlockSize}", nameof(elements));
        return checked(elements / BlockSize * BlockBytes);
    }

    private static QuantTypeInfo?[] BuildTable()
    {
        var t = new QuantTypeInfo?[(int)QuantType.BF16 + 1];
        void Add(QuantType q, int blockSize, int blockBytes) => t[(int)q] = new QuantTypeInfo(q, q.ToString(), blockSize, blockBytes);
        Add(QuantType.F32, 1, 4);
        Add(QuantType.F16, 1, 2);
        Add(QuantType.BF16, 1, 2);
        Add(QuantType.F64, 1, 8);
        Add(QuantType.I8, 1, 1);
        Add(QuantType.I16, 1, 2);
        Add(QuantType.I32, 1, 4);
        Add(QuantType.I64, 1, 8);
        Add(QuantType.Q4_0, 32, 18);
        Add(QuantType.Q4_1, 32, 20);
        Add(QuantType.Q5_0, 32, 22);
        Add(QuantType.Q5_1, 32, 24);
        Add(QuantType.Q8_0, 32, 34);
        Add(QuantType.Q8_1, 32, 36);
        Add(QuantType.Q2_K, 256, 84);
        Add(QuantType.Q3_K, 256, 110);
        Add(QuantType.Q4_K, 256, 144);
        Add(QuantType.Q5_K, 256, 176);
        Add(QuantType.Q6_K, 256, 210);
        Add(QuantType.Q8_K, 256, 292);
        Add(QuantType.IQ2_XXS, 256, 66);
        Add(QuantType.IQ2_XS, 256, 74);
        Add(QuantType.IQ3_XXS, 256, 98);
        Add(QuantType.IQ1_S, 256, 50);
        Add(QuantType.IQ4_NL, 32, 18);
        Add(QuantType.IQ3_S, 256, 110);
        Add(QuantType.IQ2_S, 256, 82);
        Add(QuantType.IQ4_XS, 256, 136);
        Add(QuantType.IQ1_M, 256, 56);
        return t;
    }
}
