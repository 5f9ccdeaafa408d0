namespace DeepSharp.Core.Quant;

/// <summary>Argument checks shared by the row entry points.</summary>
internal static class QuantRowCheck
{
    /// <summary>Throws unless <paramref name="bytes"/> is exactly the storage of <paramref name="elements"/> values of <paramref name="type"/>.</summary>
    public static void ThrowIfMismatched(QuantType type, int bytes, int elements, string paramName)
    {
        QuantTypeInfo info = QuantTypeInfo.Get(type);
        if (elements % info.BlockSize != 0)
            throw new ArgumentException($"{elements} values is not a whole number of {info.Name} blocks of {info.BlockSize}", paramName);
        long expected = info.RowBytes(elements);
        if (bytes != expected)
            throw new ArgumentException($"{elements} {info.Name} values take {expected} bytes, got {bytes}", paramName);
    }
}
