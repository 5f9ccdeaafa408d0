namespace DeepSharp.Synth;

/// <summary>YaRN context extension as DeepSeek configures it (rope_scaling: factor, original_max_position_embeddings, mscale_all_dim).</summary>
public sealed record YarnScaling(float Factor, int OriginalContextLength, float MscaleAllDim);

/// <summary>
/// The deepseek2-only part of a shape: Multi-head Latent Attention and DeepSeekMoE (DEEPSEEK.md §B.1–B.3).
/// The shape's NFf is the dense FFN width of the leading dense layers.
/// </summary>
public sealed record Deepseek2Shape
{
    /// <summary>q_lora_rank; 0 = plain <c>attn_q</c> (V2-Lite). llama.cpp b9298 requires 0 exactly when n_layer is 26 or 27.</summary>
    public int QLoraRank { get; init; }

    public required int KvLoraRank { get; init; }

    public required int QkNopeHeadDim { get; init; }

    public required int QkRopeHeadDim { get; init; }

    public required int VHeadDim { get; init; }

    /// <summary>Absorbed layout (<c>attn_k_b</c>/<c>attn_v_b</c> and <c>key_length_mla</c>) instead of the legacy <c>attn_kv_b</c>.</summary>
    public bool Absorbed { get; init; } = true;

    /// <summary>first_k_dense_replace: the leading layers with a dense SwiGLU instead of experts.</summary>
    public required int LeadingDenseLayers { get; init; }

    public required int ExpertCount { get; init; }

    public required int ExpertUsedCount { get; init; }

    public required int ExpertSharedCount { get; init; }

    /// <summary>moe_intermediate_size: each routed (and each shared) expert's SwiGLU width.</summary>
    public required int ExpertFfnLength { get; init; }

    /// <summary>routed_scaling_factor.</summary>
    public float ExpertWeightsScale { get; init; } = 1f;

    /// <summary>norm_topk_prob.</summary>
    public bool ExpertWeightsNorm { get; init; }

    /// <summary>Sigmoid gating with the <c>exp_probs_b</c> selection bias (V3 noaux_tc) instead of softmax.</summary>
    public bool SigmoidGating { get; init; }

    /// <summary>n_group / topk_group (1 / 1: no group-limited routing, keys not written).</summary>
    public int ExpertGroupCount { get; init; } = 1;

    public int ExpertGroupUsedCount { get; init; } = 1;

    public YarnScaling? Yarn { get; init; }

    public int QkHeadDim => QkNopeHeadDim + QkRopeHeadDim;

    /// <summary>Throws naming the first value llama.cpp or the MLA/MoE math cannot accept.</summary>
    public void Validate(int nLayer, Action<bool, string> require)
    {
        ArgumentNullException.ThrowIfNull(require);
        require(KvLoraRank > 0 && QkNopeHeadDim > 0 && QkRopeHeadDim > 0 && VHeadDim > 0 && QLoraRank >= 0, "MLA ranks and head sizes must be positive");
        require(QkRopeHeadDim % 2 == 0, $"rope head size {QkRopeHeadDim} must be even");
        bool lite = nLayer is 26 or 27;
        require(lite == (QLoraRank == 0), $"llama.cpp takes {nLayer} layers as {(lite ? "" : "not ")}Lite, so q_lora_rank must be {(lite ? "0" : "> 0")}");
        require(LeadingDenseLayers >= 0 && LeadingDenseLayers <= nLayer, $"leading dense layers {LeadingDenseLayers} outside 0..{nLayer}");
        require(ExpertCount > 0 && ExpertUsedCount > 0 && ExpertUsedCount <= ExpertCount, $"top-{ExpertUsedCount} of {ExpertCount} experts");
        require(ExpertSharedCount >= 0 && ExpertFfnLength > 0, "expert FFN width must be positive");
        require(ExpertGroupCount > 0 && ExpertCount % ExpertGroupCount == 0, $"{ExpertCount} experts do not split into {ExpertGroupCount} groups");
        require(ExpertGroupUsedCount > 0 && ExpertGroupUsedCount <= ExpertGroupCount, $"{ExpertGroupUsedCount} of {ExpertGroupCount} groups");
        require(ExpertUsedCount <= ExpertGroupUsedCount * (ExpertCount / ExpertGroupCount), "top-k needs more experts than the kept groups hold");
        require(ExpertGroupCount == 1 || ExpertCount / ExpertGroupCount >= 2, "group scores sum the top 2 experts of a group");
        require(Yarn is null || (Yarn.Factor > 1 && Yarn.OriginalContextLength > 0), "YaRN needs factor > 1 and an original context");
    }
}
