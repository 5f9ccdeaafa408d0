using DeepSharp.Gguf;

namespace DeepSharp.Models.Abstractions;

/// <summary>How router logits become expert scores (GGUF <c>expert_gating_func</c>).</summary>
public enum ExpertGating { Softmax = 1, Sigmoid = 2 }

/// <summary>Top-k expert routing of DeepSeekMoE (DEEPSEEK.md §B.5).</summary>
public sealed record MoeRouting
{
    public required int NExpert { get; init; }
    /// <summary>k: experts each token uses.</summary>
    public required int NExpertUsed { get; init; }
    public required ExpertGating Gating { get; init; }
    /// <summary>Experts split into this many contiguous groups; only the best <see cref="NGroupUsed"/> may be chosen.</summary>
    public int NGroup { get; init; } = 1;
    public int NGroupUsed { get; init; } = 1;
    /// <summary>Divide the chosen weights by their sum (norm_topk_prob).</summary>
    public bool NormalizeWeights { get; init; }
    /// <summary>routed_scaling_factor, applied after normalisation.</summary>
    public float WeightsScale { get; init; } = 1f;
}

/// <summary>
/// deepseek2 hyper-parameters beyond <see cref="ModelSpec"/>: Multi-head Latent Attention ranks and head sizes,
/// DeepSeekMoE sizes and routing, and the attention scale with YaRN's mscale folded in. Read from GGUF keys and
/// checked once; tensor shapes are then checked against these numbers when the weights are mapped.
/// </summary>
public sealed record Deepseek2Params
{
    /// <summary>0: plain <c>attn_q</c> (llama.cpp's "Lite" rule: 26 or 27 layers).</summary>
    public required int QLoraRank { get; init; }
    public required int KvLoraRank { get; init; }
    public required int QkNope { get; init; }
    public required int QkRope { get; init; }
    public required int VHead { get; init; }
    /// <summary>The file stores <c>attn_k_b</c>/<c>attn_v_b</c> (has key_length_mla); otherwise the legacy <c>attn_kv_b</c>.</summary>
    public required bool AbsorbedLayout { get; init; }
    public required int NLeadingDense { get; init; }
    public required int NExpertShared { get; init; }
    /// <summary>Width of each routed expert's SwiGLU (and of each shared expert).</summary>
    public required int NFfExp { get; init; }
    public required MoeRouting Routing { get; init; }
    /// <summary>Softmax scale: mscale² / √(qkNope + qkRope), mscale = 1 + 0.1·mscale_all_dim·ln(YaRN factor) (1 without YaRN).</summary>
    public required float KqScale { get; init; }

    public int QkHead => QkNope + QkRope;

    public static Deepseek2Params Read(GgufMetadata md, ModelSpec common, string arch)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(common);
        string P(string key) => $"{arch}.{key}";
        int nRope = common.Rope.NRot;
        bool absorbed = md.ContainsKey(P("attention.key_length_mla"));
        int kvLora = md.GetInt32(P("attention.kv_lora_rank"));
        int qkHead = absorbed ? md.GetInt32(P("attention.key_length_mla")) : common.HeadDim;
        int vHead = absorbed ? md.GetInt32(P("attention.value_length_mla")) : common.HeadDimV;
        bool lite = common.NLayer is 26 or 27;   // llama.cpp: these layer counts have no q-LoRA, whatever the keys say
        int gating = (int)md.GetInt64OrDefault(P("expert_gating_func"), 0);
        var routing = new MoeRouting
        {
            NExpert = md.GetInt32(P("expert_count")),
            NExpertUsed = md.GetInt32(P("expert_used_count")),
            Gating = gating == 0 ? ExpertGating.Softmax : (ExpertGating)gating,   // absent/0 in old V2 files: softmax
            NGroup = (int)md.GetInt64OrDefault(P("expert_group_count"), 1),
            NGroupUsed = (int)md.GetInt64OrDefault(P("expert_group_used_count"), 1),
            NormalizeWeights = md.GetBoolOrDefault(P("expert_weights_norm"), false),
            WeightsScale = md.GetFloat(P("expert_weights_scale")),
        };
        var p = new Deepseek2Params
        {
            QLoraRank = lite ? 0 : md.GetInt32(P("attention.q_lora_rank")),
            KvLoraRank = kvLora,
            QkNope = qkHead - nRope,
            QkRope = nRope,
            VHead = vHead,
            AbsorbedLayout = absorbed,
            NLeadingDense = md.GetInt32(P("leading_dense_block_count")),
            NExpertShared = md.GetInt32(P("expert_shared_count")),
            NFfExp = md.GetInt32(P("expert_feed_forward_length")),
            Routing = routing,
            KqScale = KqScaleOf(md, common, arch, qkHead),
        };
        p.Validate(common);
        return p;
    }

    // llama.cpp stores 0.1·mscale_all_dim as yarn_log_multiplier (the converter's legacy) and divides it back.
    private static float KqScaleOf(GgufMetadata md, ModelSpec common, string arch, int qkHead)
    {
        float mscale = 1f;
        if (common.Rope.Scaling == Kernels.Float.RopeScaling.Yarn)
        {
            float mscaleAllDim = md.GetFloatOrDefault($"{arch}.rope.scaling.yarn_log_multiplier", 0f) / 0.1f;
            mscale = 1f + 0.1f * mscaleAllDim * MathF.Log(1f / common.Rope.FreqScale);
        }
        return mscale * mscale / MathF.Sqrt(qkHead);
    }

    private void Validate(ModelSpec s)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new GgufFormatException($"{s.Arch} hyper-parameters: {what} ({this})");
        }
        Require(KvLoraRank > 0 && QkNope > 0 && VHead > 0 && QLoraRank >= 0 && NFfExp > 0 && NExpertShared >= 0, "MLA ranks and head sizes must be positive");
        if (AbsorbedLayout)
        {
            Require(s.NHeadKv == 1, $"the absorbed MLA layout stores one KV head, head_count_kv is {s.NHeadKv}");
            Require(s.HeadDim == KvLoraRank + QkRope, $"key_length {s.HeadDim} must be kv_lora_rank + rope dims = {KvLoraRank + QkRope}");
            Require(s.HeadDimV == KvLoraRank, $"value_length {s.HeadDimV} must be kv_lora_rank {KvLoraRank}");
        }
        Require(NLeadingDense >= 0 && NLeadingDense <= s.NLayer, $"leading_dense_block_count {NLeadingDense} outside 0..{s.NLayer}");
        var r = Routing;
        Require(r.NExpert > 0 && r.NExpertUsed > 0 && r.NExpertUsed <= r.NExpert, $"expert_used_count {r.NExpertUsed} of expert_count {r.NExpert}");
        Require(r.Gating is ExpertGating.Softmax or ExpertGating.Sigmoid, $"expert_gating_func {(int)r.Gating} (supported: 1 softmax, 2 sigmoid)");
        Require(r.NGroup > 0 && r.NExpert % r.NGroup == 0, $"{r.NExpert} experts do not split into expert_group_count {r.NGroup}");
        Require(r.NGroupUsed > 0 && r.NGroupUsed <= r.NGroup, $"expert_group_used_count {r.NGroupUsed} of {r.NGroup}");
        Require(r.NGroup == 1 || (r.NExpert / r.NGroup >= 2 && r.NExpertUsed <= r.NGroupUsed * (r.NExpert / r.NGroup)),
            "kept expert groups must hold at least top-k experts and two per group");
    }
}
