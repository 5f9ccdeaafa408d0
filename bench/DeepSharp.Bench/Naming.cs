using DeepSharp.Core.Quant;
using DeepSharp.Gguf;

namespace DeepSharp.Bench;

internal static class Naming
{
    // llama.cpp's llama_ftype values (what a quantizer writes into general.file_type).
    private static readonly Dictionary<long, string> FileTypeNames = new()
    {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1",
        [10] = "Q2_K", [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M",
        [16] = "Q5_K_S", [17] = "Q5_K_M", [18] = "Q6_K", [32] = "BF16",
    };

    /// <summary>llama.cpp's name for the file's <c>general.file_type</c>, else the tensor type holding the most bytes.</summary>
    public static string FileType(GgufFile file)
    {
        if (file.Metadata.ContainsKey("general.file_type") && FileTypeNames.TryGetValue(file.Metadata.GetInt64("general.file_type"), out string? name))
            return name;
        var dominant = file.Tensors.GroupBy(t => t.Type).MaxBy(g => g.Sum(t => t.ByteLength));
        return dominant is null ? "unknown" : QuantTypeInfo.TryGet(dominant.Key)?.Name ?? $"type{(int)dominant.Key}";
    }
}
