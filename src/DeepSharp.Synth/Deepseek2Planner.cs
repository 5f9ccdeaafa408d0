using DeepSharp.Gguf;

namespace DeepSharp.Synth;

/// <summary>The deepseek2 tensors and metadata keys as llama.cpp b9298 reads them (DEEPSEEK.md §B.2–B.3).</summary>
internal static class Deepseek2Planner
{
    /// <summary>Layer <paramref name="i"/>: MLA attention, then a dense SwiGLU (leading layers) or the MoE block.</summary>
    public static void LayerTensors(SynthShape s, int i, Action<string, long[]> matrix, Action<string, long, WeightKind> vector)
    {
        Deepseek2Shape d = s.Deepseek2!;
        string p = $"blk.{i}.";
        vector(p + "attn_norm.weight", s.NEmbd, WeightKind.Ones);
        if (d.QLoraRank == 0)
        {
            matrix(p + "attn_q.weight", [s.NEmbd, s.NHead * d.QkHeadDim]);
        }
        else
        {
            matrix(p + "attn_q_a.weight", [s.NEmbd, d.QLoraRank]);
            vector(p + "attn_q_a_norm.weight", d.QLoraRank, WeightKind.Ones);
            matrix(p + "attn_q_b.weight", [d.QLoraRank, s.NHead * d.QkHeadDim]);
        }

        matrix(p + "attn_kv_a_mqa.weight", [s.NEmbd, d.KvLoraRank + d.QkRopeHeadDim]);
        vector(p + "attn_kv_a_norm.weight", d.KvLoraRank, WeightKind.Ones);
        if (d.Absorbed)
        {
            matrix(p + "attn_k_b.weight", [d.QkNopeHeadDim, d.KvLoraRank, s.NHead]);
            matrix(p + "attn_v_b.weight", [d.KvLoraRank, d.VHeadDim, s.NHead]);
        }
        else
        {
            matrix(p + "attn_kv_b.weight", [d.KvLoraRank, s.NHead * (d.QkNopeHeadDim + d.VHeadDim)]);
        }

        matrix(p + "attn_output.weight", [s.NHead * d.VHeadDim, s.NEmbd]);
        vector(p + "ffn_norm.weight", s.NEmbd, WeightKind.Ones);
        if (i < d.LeadingDenseLayers)
        {
            SwiGlu(p, "", s.NEmbd, s.NFf, matrix);
            return;
        }

        matrix(p + "ffn_gate_inp.weight", [s.NEmbd, d.ExpertCount]);   // kept F32 by the quantization recipe
        if (d.SigmoidGating)
        {
            vector(p + "exp_probs_b.bias", d.ExpertCount, WeightKind.Random);
        }

        matrix(p + "ffn_gate_exps.weight", [s.NEmbd, d.ExpertFfnLength, d.ExpertCount]);
        matrix(p + "ffn_up_exps.weight", [s.NEmbd, d.ExpertFfnLength, d.ExpertCount]);
        matrix(p + "ffn_down_exps.weight", [d.ExpertFfnLength, s.NEmbd, d.ExpertCount]);
        if (d.ExpertSharedCount > 0)
        {
            SwiGlu(p, "_shexp", s.NEmbd, d.ExpertSharedCount * d.ExpertFfnLength, matrix);
        }
    }

    public static void Metadata(SynthShape s, Action<string, GgufValue> add)
    {
        Deepseek2Shape d = s.Deepseek2!;
        const string a = "deepseek2.";
        add(a + "vocab_size", GgufValue.Of((uint)s.NVocab));
        add(a + "leading_dense_block_count", GgufValue.Of((uint)d.LeadingDenseLayers));
        if (d.QLoraRank > 0)
        {
            add(a + "attention.q_lora_rank", GgufValue.Of((uint)d.QLoraRank));
        }

        add(a + "attention.kv_lora_rank", GgufValue.Of((uint)d.KvLoraRank));
        if (d.Absorbed)
        {
            add(a + "attention.key_length", GgufValue.Of((uint)(d.KvLoraRank + d.QkRopeHeadDim)));
            add(a + "attention.value_length", GgufValue.Of((uint)d.KvLoraRank));
            add(a + "attention.key_length_mla", GgufValue.Of((uint)d.QkHeadDim));
            add(a + "attention.value_length_mla", GgufValue.Of((uint)d.VHeadDim));
        }
        else
        {
            add(a + "attention.key_length", GgufValue.Of((uint)d.QkHeadDim));
            add(a + "attention.value_length", GgufValue.Of((uint)d.VHeadDim));
        }

        add(a + "rope.dimension_count", GgufValue.Of((uint)d.QkRopeHeadDim));
        if (d.Yarn is { } yarn)
        {
            add(a + "rope.scaling.type", GgufValue.Of("yarn"));
            add(a + "rope.scaling.factor", GgufValue.Of(yarn.Factor));
            add(a + "rope.scaling.original_context_length", GgufValue.Of((uint)yarn.OriginalContextLength));
            add(a + "rope.scaling.yarn_log_multiplier", GgufValue.Of(0.1f * yarn.MscaleAllDim));   // as convert_hf_to_gguf writes it
        }

        add(a + "expert_count", GgufValue.Of((uint)d.ExpertCount));
        add(a + "expert_used_count", GgufValue.Of((uint)d.ExpertUsedCount));
        add(a + "expert_shared_count", GgufValue.Of((uint)d.ExpertSharedCount));
        add(a + "expert_feed_forward_length", GgufValue.Of((uint)d.ExpertFfnLength));
        add(a + "expert_weights_scale", GgufValue.Of(d.ExpertWeightsScale));
        add(a + "expert_weights_norm", GgufValue.Of(d.ExpertWeightsNorm));
        add(a + "expert_gating_func", GgufValue.Of(d.SigmoidGating ? 2u : 1u));
        if (d.ExpertGroupCount > 1)
        {
            add(a + "expert_group_count", GgufValue.Of((uint)d.ExpertGroupCount));
            add(a + "expert_group_used_count", GgufValue.Of((uint)d.ExpertGroupUsedCount));
        }
    }

    private static void SwiGlu(string prefix, string suffix, long nEmbd, long width, Action<string, long[]> matrix)
    {
        matrix($"{prefix}ffn_gate{suffix}.weight", [nEmbd, width]);
        matrix($"{prefix}ffn_up{suffix}.weight", [nEmbd, width]);
        matrix($"{prefix}ffn_down{suffix}.weight", [width, nEmbd]);
    }
}
