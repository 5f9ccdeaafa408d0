namespace DeepSharp.Models.Abstractions;

/// <summary>GGUF tensor names: the weight vocabulary of every architecture (llama.cpp gguf-py constants).</summary>
public static class TensorNames
{
    public const string TokenEmbd = "token_embd";
    public const string OutputNorm = "output_norm";
    public const string Output = "output";
    public const string RopeFreqs = "rope_freqs";
    public const string AttnNorm = "attn_norm";
    public const string AttnQ = "attn_q";
    public const string AttnK = "attn_k";
    public const string AttnV = "attn_v";
    public const string AttnOutput = "attn_output";
    public const string FfnNorm = "ffn_norm";
    public const string FfnGate = "ffn_gate";
    public const string FfnUp = "ffn_up";
    public const string FfnDown = "ffn_down";

    // deepseek2: Multi-head Latent Attention and DeepSeekMoE (DEEPSEEK.md §B.3).
    public const string AttnQA = "attn_q_a";
    public const string AttnQANorm = "attn_q_a_norm";
    public const string AttnQB = "attn_q_b";
    public const string AttnKvAMqa = "attn_kv_a_mqa";
    public const string AttnKvANorm = "attn_kv_a_norm";
    public const string AttnKB = "attn_k_b";
    public const string AttnVB = "attn_v_b";
    public const string AttnKvB = "attn_kv_b";
    public const string FfnGateInp = "ffn_gate_inp";
    public const string ExpProbsB = "exp_probs_b";
    public const string FfnGateExps = "ffn_gate_exps";
    public const string FfnUpExps = "ffn_up_exps";
    public const string FfnDownExps = "ffn_down_exps";
    public const string FfnGateShexp = "ffn_gate_shexp";
    public const string FfnUpShexp = "ffn_up_shexp";
    public const string FfnDownShexp = "ffn_down_shexp";

    /// <summary>"{name}.{suffix}", e.g. <c>Global("output_norm")</c> → "output_norm.weight".</summary>
    public static string Global(string name, string suffix = "weight") => $"{name}.{suffix}";

    /// <summary>"blk.{layer}.{name}.{suffix}", e.g. <c>Blk(3, AttnQ, "bias")</c> → "blk.3.attn_q.bias".</summary>
    public static string Blk(int layer, string name, string suffix = "weight") => $"blk.{layer}.{name}.{suffix}";
}
