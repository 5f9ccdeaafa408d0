namespace DeepSharp.Synth;

/// <summary>
/// Named model shapes. The full-size ones copy the real models' config.json/GGUF numbers; the tiny ones are for
/// tests and deliberately use head counts and sizes that are not powers of two, tied and untied outputs.
/// </summary>
public static class SynthPresets
{
    private static readonly SynthShape[] All =
    [
        // deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B (Qwen2.5-Math-1.5B base): untied lm_head.
        new()
        {
            Arch = "qwen2", ModelName = "DeepSeek R1 Distill Qwen 1.5B", NEmbd = 1536, NLayer = 28, NHead = 12, NHeadKv = 2,
            NFf = 8960, NVocab = 151936, ContextLength = 131072, RopeFreqBase = 10000f, RmsEps = 1e-6f, QkvBias = true,
            Specials = SpecialTokenSet.R1DistillQwen, SpecialBase = 151643, Sampling = (0.6f, 0.95f),
        },
        // Qwen/Qwen2.5-0.5B-Instruct: tied embeddings.
        new()
        {
            Arch = "qwen2", ModelName = "Qwen2.5 0.5B Instruct", NEmbd = 896, NLayer = 24, NHead = 14, NHeadKv = 2,
            NFf = 4864, NVocab = 151936, ContextLength = 32768, RopeFreqBase = 1000000f, RmsEps = 1e-6f, QkvBias = true,
            TiedEmbeddings = true, Specials = SpecialTokenSet.Qwen25, SpecialBase = 151643,
        },
        // deepseek-ai/DeepSeek-R1-Distill-Llama-8B (Llama-3.1-8B base): llama3 RoPE scaling.
        new()
        {
            Arch = "llama", ModelName = "DeepSeek R1 Distill Llama 8B", NEmbd = 4096, NLayer = 32, NHead = 32, NHeadKv = 8,
            NFf = 14336, NVocab = 128256, ContextLength = 131072, RopeFreqBase = 500000f, RmsEps = 1e-5f,
            RopeScaling = new Llama3RopeScaling(8f, 1f, 4f, 8192), Specials = SpecialTokenSet.R1DistillLlama,
            SpecialBase = 128000, Sampling = (0.6f, 0.95f),
        },
        Tiny("tiny-qwen2", "qwen2", nEmbd: 96, nLayer: 3, nHead: 6, nHeadKv: 2, nFf: 160, nVocab: 1000, tied: false),
        Tiny("tiny-qwen2-tied", "qwen2", nEmbd: 160, nLayer: 2, nHead: 5, nHeadKv: 1, nFf: 288, nVocab: 777, tied: true),
        Tiny("tiny-qwen2-k", "qwen2", nEmbd: 256, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 512, nVocab: 900, tied: false),
        // 6 heads × 12 dims: rows of 72 fit no quantized block size, so only f32/f16/bf16.
        Tiny("tiny-qwen2-odd", "qwen2", nEmbd: 72, nLayer: 2, nHead: 6, nHeadKv: 3, nFf: 120, nVocab: 600, tied: false),
        Tiny("tiny-llama", "llama", nEmbd: 96, nLayer: 3, nHead: 6, nHeadKv: 3, nFf: 224, nVocab: 1000, tied: false) with
        {
            RopeScaling = new Llama3RopeScaling(8f, 1f, 4f, 8192),
        },
        Tiny("tiny-llama-tied", "llama", nEmbd: 256, nLayer: 2, nHead: 8, nHeadKv: 2, nFf: 512, nVocab: 700, tied: true),
        Deepseek2Presets.V2Lite,
        Deepseek2Presets.TinyV3,
        Deepseek2Presets.TinyLite,
        Deepseek2Presets.TinyLegacyKvB,
        Deepseek2Presets.TinyKQuant,
    ];

    private static readonly string[] PresetNames =
        ["r1-distill-qwen-1.5b", "qwen2.5-0.5b", "r1-distill-llama-8b", "tiny-qwen2", "tiny-qwen2-tied", "tiny-qwen2-k",
         "tiny-qwen2-odd", "tiny-llama", "tiny-llama-tied", "deepseek-v2-lite", "tiny-deepseek2", "tiny-deepseek2-lite",
         "tiny-deepseek2-kvb", "tiny-deepseek2-k"];

    public static IReadOnlyList<string> Names => PresetNames;

    /// <summary>The preset's shape; an <see cref="ArgumentException"/> lists the valid names.</summary>
    public static SynthShape Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int i = Array.IndexOf(PresetNames, name.ToLowerInvariant());
        return i >= 0
            ? All[i]
            : throw new ArgumentException($"Unknown preset '{name}'. Presets: {string.Join(", ", PresetNames)}.", nameof(name));
    }

    internal static SynthShape Tiny(string name, string arch, int nEmbd, int nLayer, int nHead, int nHeadKv, int nFf, int nVocab, bool tied)
    {
        SpecialTokenSet specials = (arch == "qwen2" ? SpecialTokenSet.R1DistillQwen : SpecialTokenSet.R1DistillLlama).Compact();
        return new SynthShape
        {
            Arch = arch, ModelName = name, NEmbd = nEmbd, NLayer = nLayer, NHead = nHead, NHeadKv = nHeadKv, NFf = nFf,
            NVocab = nVocab, ContextLength = 4096, RopeFreqBase = arch == "qwen2" ? 10000f : 500000f,
            RmsEps = arch == "qwen2" ? 1e-6f : 1e-5f, QkvBias = arch == "qwen2", TiedEmbeddings = tied,
            Specials = specials, SpecialBase = nVocab - specials.BlockSize,
        };
    }
}
