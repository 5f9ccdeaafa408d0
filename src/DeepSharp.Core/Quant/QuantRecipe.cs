using System.Globalization;

namespace DeepSharp.Core.Quant;

/// <summary>A tensor as the recipe sees it: its GGUF name, row length (ne0), number of dimensions and current type.</summary>
public readonly record struct RecipeTensor(string Name, long RowLength, int Dimensions = 2, QuantType SourceType = QuantType.F32);

/// <summary>The model facts the recipe depends on.</summary>
/// <param name="LayerCount">block_count (n_layer).</param>
/// <param name="ExpertCount">expert_count (0 or 1 for dense models); 8 experts bump attn_v/attn_k/attn_output as llama.cpp does.</param>
/// <param name="HasOutputTensor">Whether the file has its own output.weight; when it does not, token_embd is tied to the output and gets the output's type.</param>
/// <param name="GqaRatio">head_count / head_count_kv; Q2_K and IQ4_NL/IQ4_XS give attn_v more bits when it is 4 or more.</param>
public readonly record struct RecipeModel(int LayerCount, int ExpertCount = 0, bool HasOutputTensor = true, int GqaRatio = 1);

/// <summary>
/// The per-tensor type choice of llama.cpp's quantizer (llama-quant.cpp llama_tensor_get_type, no imatrix, no
/// overrides, output tensor quantized) for the plain mixes (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q6_K) and
/// the k-quant mixes Q2_K, Q3_K_M/L, Q4_K_S/M, Q5_K_S/M, IQ4_NL and IQ4_XS.
/// </summary>
/// <remarks>Not modelled: the Falcon architecture and the LLaMA-70B attn_v bump.</remarks>
public static class QuantRecipe
{
    /// <summary>Parses a llama-quantize style name ("Q4_K_M", "q8_0", "f16", "bf16", "f32"; case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static LlamaFileType ParseFileType(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToUpperInvariant() switch
        {
            "F32" or "ALL_F32" => LlamaFileType.AllF32,
            "F16" => LlamaFileType.MostlyF16,
            "BF16" => LlamaFileType.MostlyBF16,
            "Q4_0" => LlamaFileType.MostlyQ4_0,
            "Q4_1" => LlamaFileType.MostlyQ4_1,
            "Q5_0" => LlamaFileType.MostlyQ5_0,
            "Q5_1" => LlamaFileType.MostlyQ5_1,
            "Q8_0" => LlamaFileType.MostlyQ8_0,
            "Q2_K" => LlamaFileType.MostlyQ2_K,
            "Q3_K_S" => LlamaFileType.MostlyQ3_K_S,
            "Q3_K_M" or "Q3_K" => LlamaFileType.MostlyQ3_K_M,
            "Q3_K_L" => LlamaFileType.MostlyQ3_K_L,
            "Q4_K_S" => LlamaFileType.MostlyQ4_K_S,
            "Q4_K_M" or "Q4_K" => LlamaFileType.MostlyQ4_K_M,
            "Q5_K_S" => LlamaFileType.MostlyQ5_K_S,
            "Q5_K_M" or "Q5_K" => LlamaFileType.MostlyQ5_K_M,
            "Q6_K" => LlamaFileType.MostlyQ6_K,
            "IQ4_NL" => LlamaFileType.MostlyIQ4_NL,
            "IQ4_XS" => LlamaFileType.MostlyIQ4_XS,
            _ => throw new ArgumentException($"unknown file type '{name}'", nameof(name)),
        };
    }

    /// <summary>The type most tensors of the mix get (llama_ftype_get_default_type).</summary>
    public static QuantType DefaultType(LlamaFileType fileType) => fileType switch
    {
        LlamaFileType.AllF32 => QuantType.F32,
        LlamaFileType.MostlyF16 => QuantType.F16,
        LlamaFileType.MostlyBF16 => QuantType.BF16,
        LlamaFileType.MostlyQ4_0 => QuantType.Q4_0,
        LlamaFileType.MostlyQ4_1 => QuantType.Q4_1,
        LlamaFileType.MostlyQ5_0 => QuantType.Q5_0,
        LlamaFileType.MostlyQ5_1 => QuantType.Q5_1,
        LlamaFileType.MostlyQ8_0 => QuantType.Q8_0,
        LlamaFileType.MostlyQ2_K => QuantType.Q2_K,
        LlamaFileType.MostlyQ3_K_S or LlamaFileType.MostlyQ3_K_M or LlamaFileType.MostlyQ3_K_L => QuantType.Q3_K,
        LlamaFileType.MostlyQ4_K_S or LlamaFileType.MostlyQ4_K_M => QuantType.Q4_K,
        LlamaFileType.MostlyQ5_K_S or LlamaFileType.MostlyQ5_K_M => QuantType.Q5_K,
        LlamaFileType.MostlyQ6_K => QuantType.Q6_K,
        LlamaFileType.MostlyIQ4_NL => QuantType.IQ4_NL,
        LlamaFileType.MostlyIQ4_XS => QuantType.IQ4_XS,
        _ => throw new ArgumentOutOfRangeException(nameof(fileType), fileType, "unknown file type"),
    };

    /// <summary>Short form: the type of a 2-D (or <paramref name="dimensions"/>-D) F32 tensor in a dense model.</summary>
    public static QuantType TypeFor(string fileType, string tensorName, int layerCount, long rowLength, int dimensions = 2) =>
        TypeFor(ParseFileType(fileType), new RecipeTensor(tensorName, rowLength, dimensions), new RecipeModel(layerCount));

    /// <summary>The type llama.cpp's quantizer gives <paramref name="tensor"/> in a <paramref name="fileType"/> file.</summary>
    /// <exception cref="InvalidOperationException">The row length fits neither the type nor a fallback (llama.cpp aborts too).</exception>
    public static QuantType TypeFor(LlamaFileType fileType, RecipeTensor tensor, RecipeModel model)
    {
        ArgumentNullException.ThrowIfNull(tensor.Name);
        if (!AllowsQuantization(tensor)) return tensor.SourceType;
        QuantType defaultType = DefaultType(fileType);
        if (!IsQuantized(defaultType)) return defaultType;
        QuantType chosen = MixType(fileType, defaultType, tensor, model);
        return Fallback(chosen, tensor);
    }

    /// <summary>tensor_allows_quantization: only ≥2-D tensors named *weight, never norms or MoE router weights.</summary>
    private static bool AllowsQuantization(RecipeTensor t)
    {
        if (t.Dimensions < 2) return false;
        string name = t.Name;
        if (!name.EndsWith("weight", StringComparison.Ordinal)) return false;
        string[] kept = ["_norm.weight", "ffn_gate_inp.weight", "ssm_conv1d", "attn_rel_b.weight", ".position_embd", "altup", "laurel"];
        foreach (string part in kept)
        {
            if (name.Contains(part, StringComparison.Ordinal)) return false;
        }
        return name is not ("position_embd.weight" or "token_types.weight");
    }

    private static bool IsQuantized(QuantType t) => t is not (QuantType.F32 or QuantType.F16 or QuantType.BF16);

    private enum Category { TokenEmbd, AttnQ, AttnV, AttnK, AttnQkv, AttnKvB, AttnOutput, FfnUp, FfnGate, FfnDown, Output, Other }

    private static Category Categorize(string name)
    {
        if (name == "output.weight") return Category.Output;
        if (name is "token_embd.weight" or "per_layer_token_embd.weight") return Category.TokenEmbd;
        if (name.Contains("attn_qkv.weight", StringComparison.Ordinal)) return Category.AttnQkv;
        if (name.Contains("attn_kv_b.weight", StringComparison.Ordinal)) return Category.AttnKvB;
        if (name.Contains("attn_v.weight", StringComparison.Ordinal)) return Category.AttnV;
        if (name.Contains("attn_k.weight", StringComparison.Ordinal)) return Category.AttnK;
        if (name.Contains("attn_q.weight", StringComparison.Ordinal)) return Category.AttnQ;
        if (name.Contains("attn_output.weight", StringComparison.Ordinal)) return Category.AttnOutput;
        if (name.Contains("ffn_up", StringComparison.Ordinal)) return Category.FfnUp;
        if (name.Contains("ffn_gate", StringComparison.Ordinal)) return Category.FfnGate;
        if (name.Contains("ffn_down", StringComparison.Ordinal)) return Category.FfnDown;
        return Category.Other;
    }

    /// <summary>
    /// llama.cpp's use_more_bits: the first and last eighth of the layers, and every third layer in between, get
    /// more bits in the _M mixes.
    /// </summary>
    public static bool UseMoreBits(int layer, int layerCount) =>
        layer < layerCount / 8 || layer >= 7 * layerCount / 8 || (layer - layerCount / 8) % 3 == 2;

    /// <summary>Layer index from a "blk.N." name. llama.cpp counts attn_v/ffn_down tensors in file order, which for
    /// its layer-sorted tensor map equals the layer number.</summary>
    private static int LayerOf(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return 0;
        int end = name.IndexOf('.', 4);
        return end > 4 && int.TryParse(name.AsSpan(4, end - 4), NumberStyles.None, CultureInfo.InvariantCulture, out int layer) ? layer : 0;
    }

    private static QuantType MixType(LlamaFileType ft, QuantType type, RecipeTensor t, RecipeModel m)
    {
        Category cat = Categorize(t.Name);
        bool tiedEmbedding = !m.HasOutputTensor && cat == Category.TokenEmbd;
        if (cat == Category.Output || tiedEmbedding)
        {
            if (t.RowLength % QuantTypeInfo.Get(type).BlockSize != 0) return QuantType.Q8_0;
            return type != QuantType.Q8_0 ? QuantType.Q6_K : type;
        }
        if (cat == Category.TokenEmbd) return type;
        int layer = LayerOf(t.Name);
        int n = m.LayerCount;
        bool eightExperts = m.ExpertCount == 8;
        switch (cat)
        {
            case Category.AttnV or Category.AttnQkv or Category.AttnKvB:
                if (ft == LlamaFileType.MostlyQ2_K) type = m.GqaRatio >= 4 ? QuantType.Q4_K : QuantType.Q3_K;
                else if (ft == LlamaFileType.MostlyQ3_K_M) type = layer < 2 ? QuantType.Q5_K : QuantType.Q4_K;
                else if (ft == LlamaFileType.MostlyQ3_K_L) type = QuantType.Q5_K;
                else if (ft is LlamaFileType.MostlyIQ4_NL or LlamaFileType.MostlyIQ4_XS && m.GqaRatio >= 4) type = QuantType.Q5_K;
                else if (ft is LlamaFileType.MostlyQ4_K_M or LlamaFileType.MostlyQ5_K_M && UseMoreBits(layer, n)) type = QuantType.Q6_K;
                else if (ft == LlamaFileType.MostlyQ4_K_S && layer < 4) type = QuantType.Q5_K;
                return eightExperts ? QuantType.Q8_0 : type;
            case Category.AttnK:
                return eightExperts ? QuantType.Q8_0 : type;
            case Category.FfnDown:
                return FfnDownType(ft, type, layer, n);
            case Category.AttnOutput:
                if (eightExperts)
                {
                    return ft is LlamaFileType.MostlyQ2_K or LlamaFileType.MostlyQ3_K_S or LlamaFileType.MostlyQ3_K_M
                        or LlamaFileType.MostlyIQ4_NL or LlamaFileType.MostlyQ4_K_S or LlamaFileType.MostlyQ4_K_M
                        or LlamaFileType.MostlyIQ4_XS ? QuantType.Q5_K : type;
                }
                return ft switch
                {
                    LlamaFileType.MostlyQ2_K => QuantType.Q3_K,
                    LlamaFileType.MostlyQ3_K_M => QuantType.Q4_K,
                    LlamaFileType.MostlyQ3_K_L => QuantType.Q5_K,
                    _ => type,
                };
            default:
                return type;
        }
    }

    private static QuantType FfnDownType(LlamaFileType ft, QuantType type, int layer, int n) => ft switch
    {
        LlamaFileType.MostlyQ2_K => QuantType.Q3_K,
        LlamaFileType.MostlyQ3_K_M => layer < n / 16 ? QuantType.Q5_K : QuantType.Q4_K,
        LlamaFileType.MostlyQ3_K_L => QuantType.Q5_K,
        LlamaFileType.MostlyQ4_K_M or LlamaFileType.MostlyQ5_K_M => UseMoreBits(layer, n) ? QuantType.Q6_K : type,
        LlamaFileType.MostlyIQ4_NL or LlamaFileType.MostlyIQ4_XS => layer < n / 8 ? QuantType.Q5_K : type,
        LlamaFileType.MostlyQ4_K_S => layer < n / 8 ? QuantType.Q5_K : type,
        _ => type,
    };

    /// <summary>tensor_type_fallback: a row length that is not a whole number of blocks falls back to a 32-block type, else F16.</summary>
    private static QuantType Fallback(QuantType type, RecipeTensor t)
    {
        if (t.RowLength % QuantTypeInfo.Get(type).BlockSize == 0) return type;
        QuantType fallback = type switch
        {
            QuantType.IQ2_XXS or QuantType.IQ2_XS or QuantType.IQ2_S or QuantType.IQ3_XXS or QuantType.IQ3_S
                or QuantType.IQ1_S or QuantType.IQ1_M or QuantType.IQ4_XS => QuantType.IQ4_NL,
            QuantType.Q2_K or QuantType.Q3_K => QuantType.Q4_0,
            QuantType.Q4_K => QuantType.Q5_0,
            QuantType.Q5_K => QuantType.Q5_1,
            QuantType.Q6_K => QuantType.Q8_0,
            _ => throw new InvalidOperationException(
                $"tensor '{t.Name}': row length {t.RowLength} is not a multiple of the {type} block size and {type} has no fallback"),
        };
        return t.RowLength % QuantTypeInfo.Get(fallback).BlockSize == 0 ? fallback : QuantType.F16;
    }
}
