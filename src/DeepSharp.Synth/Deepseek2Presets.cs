namespace DeepSharp.Synth;

/// <summary>
/// deepseek2 shapes: the real DeepSeek-V2-Lite and tiny ones that together take every MLA/MoE branch — q-LoRA or
/// plain q (llama.cpp's "Lite" is 26/27 layers), absorbed or legacy kv_b layout, softmax or sigmoid+bias gating,
/// group-limited routing, shared experts, leading dense layers or none, YaRN with either mscale or plain RoPE.
/// Row lengths of the tiny ones are multiples of 32 so Q8_0 stores them; tiny-deepseek2-k has 256-wide rows for k-quants.
/// </summary>
internal static class Deepseek2Presets
{
    /// <summary>deepseek-ai/DeepSeek-V2-Lite(-Chat) config.json (DEEPSEEK.md §B.1).</summary>
    public static SynthShape V2Lite { get; } = new()
    {
        Arch = "deepseek2", ModelName = "DeepSeek V2 Lite", NEmbd = 2048, NLayer = 27, NHead = 16, NHeadKv = 1, NFf = 10944,
        NVocab = 102400, ContextLength = 163840, RopeFreqBase = 10000f, RmsEps = 1e-6f,
        Specials = SpecialTokenSet.R1DistillLlama, SpecialBase = 100000,
        Deepseek2 = new Deepseek2Shape
        {
            KvLoraRank = 512, QkNopeHeadDim = 128, QkRopeHeadDim = 64, VHeadDim = 128, LeadingDenseLayers = 1,
            ExpertCount = 64, ExpertUsedCount = 6, ExpertSharedCount = 2, ExpertFfnLength = 1408,
            Yarn = new YarnScaling(40f, 4096, 0.707f),
        },
    };

    /// <summary>V3/R1 in miniature: q-LoRA, sigmoid gating with bias, 4 groups keep 2, renormalised top-3 × 2.5, YaRN mscale 1.</summary>
    public static SynthShape TinyV3 { get; } = Tiny("tiny-deepseek2", nEmbd: 64, nLayer: 3, nHead: 4, nFf: 128, nVocab: 1000) with
    {
        Deepseek2 = new Deepseek2Shape
        {
            QLoraRank = 64, KvLoraRank = 64, QkNopeHeadDim = 32, QkRopeHeadDim = 16, VHeadDim = 32, LeadingDenseLayers = 1,
            ExpertCount = 12, ExpertUsedCount = 3, ExpertSharedCount = 1, ExpertFfnLength = 32, ExpertWeightsScale = 2.5f,
            ExpertWeightsNorm = true, SigmoidGating = true, ExpertGroupCount = 4, ExpertGroupUsedCount = 2,
            Yarn = new YarnScaling(40f, 4096, 1f),
        },
    };

    /// <summary>V2-Lite in miniature: 26 layers so llama.cpp takes plain attn_q; softmax top-3 of 10, two shared experts.</summary>
    public static SynthShape TinyLite { get; } = Tiny("tiny-deepseek2-lite", nEmbd: 64, nLayer: 26, nHead: 4, nFf: 96, nVocab: 800) with
    {
        Deepseek2 = new Deepseek2Shape
        {
            KvLoraRank = 64, QkNopeHeadDim = 32, QkRopeHeadDim = 16, VHeadDim = 32, LeadingDenseLayers = 1,
            ExpertCount = 10, ExpertUsedCount = 3, ExpertSharedCount = 2, ExpertFfnLength = 32,
            Yarn = new YarnScaling(40f, 4096, 0.707f),
        },
    };

    /// <summary>Legacy attn_kv_b layout (no key_length_mla), all layers MoE (llama.cpp requires shared experts), V2-style groups, plain RoPE.</summary>
    public static SynthShape TinyLegacyKvB { get; } = Tiny("tiny-deepseek2-kvb", nEmbd: 96, nLayer: 2, nHead: 3, nFf: 160, nVocab: 900) with
    {
        NHeadKv = 3,
        Deepseek2 = new Deepseek2Shape
        {
            QLoraRank = 32, KvLoraRank = 32, QkNopeHeadDim = 32, QkRopeHeadDim = 8, VHeadDim = 32, Absorbed = false,
            LeadingDenseLayers = 0, ExpertCount = 16, ExpertUsedCount = 4, ExpertSharedCount = 1, ExpertFfnLength = 64,
            ExpertWeightsScale = 16f, ExpertGroupCount = 4, ExpertGroupUsedCount = 2,
        },
    };

    /// <summary>256-wide rows so Q4_K/Q6_K really apply (k-quant mixes fall back to 32-blocks on narrower rows).</summary>
    public static SynthShape TinyKQuant { get; } = Tiny("tiny-deepseek2-k", nEmbd: 256, nLayer: 3, nHead: 4, nFf: 512, nVocab: 900) with
    {
        Deepseek2 = new Deepseek2Shape
        {
            QLoraRank = 256, KvLoraRank = 256, QkNopeHeadDim = 32, QkRopeHeadDim = 32, VHeadDim = 64, LeadingDenseLayers = 1,
            ExpertCount = 6, ExpertUsedCount = 2, ExpertSharedCount = 1, ExpertFfnLength = 256, ExpertWeightsScale = 2.5f,
            ExpertWeightsNorm = true, SigmoidGating = true, ExpertGroupCount = 3, ExpertGroupUsedCount = 2,
            Yarn = new YarnScaling(40f, 4096, 1f),
        },
    };

    private static SynthShape Tiny(string name, int nEmbd, int nLayer, int nHead, int nFf, int nVocab) =>
        SynthPresets.Tiny(name, "llama", nEmbd, nLayer, nHead, nHeadKv: 1, nFf, nVocab, tied: false) with
        {
            Arch = "deepseek2", RopeFreqBase = 10000f, RmsEps = 1e-6f,
        };
}
