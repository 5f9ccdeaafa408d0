namespace DeepSharp.Core.Quant;

/// <summary>
/// llama.cpp <c>enum llama_ftype</c>: the whole-file quantization mix, written to GGUF <c>general.file_type</c>.
/// Ids are llama.h's (gaps are removed types).
/// </summary>
public enum LlamaFileType
{
    AllF32 = 0,
    MostlyF16 = 1,
    MostlyQ4_0 = 2,
    MostlyQ4_1 = 3,
    MostlyQ8_0 = 7,
    MostlyQ5_0 = 8,
    MostlyQ5_1 = 9,
    MostlyQ2_K = 10,
    MostlyQ3_K_S = 11,
    MostlyQ3_K_M = 12,
    MostlyQ3_K_L = 13,
    MostlyQ4_K_S = 14,
    MostlyQ4_K_M = 15,
    MostlyQ5_K_S = 16,
    MostlyQ5_K_M = 17,
    MostlyQ6_K = 18,
    MostlyIQ4_NL = 25,
    MostlyIQ4_XS = 30,
    MostlyBF16 = 32,
}
