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

    /// <summary>"{name}.{suffix}", e.g. <c>Global("output_norm")</c> → "output_norm.weight".</summary>
    public static string Global(string name, string suffix = "weight") => $"{name}.{suffix}";

    /// <summary>"blk.{layer}.{name}.{suffix}", e.g. <c>Blk(3, AttnQ, "bias")</c> → "blk.3.attn_q.bias".</summary>
    public static string Blk(int layer, string name, string suffix = "weight") => $"blk.{layer}.{name}.{suffix}";
}
