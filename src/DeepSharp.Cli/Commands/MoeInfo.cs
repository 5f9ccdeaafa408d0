using System.Globalization;
using DeepSharp.Gguf;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// The Mixture-of-Experts and Multi-head Latent Attention lines of <c>deepsharp info</c> (deepseek2 and other files
/// with <c>{arch}.expert_count</c> / <c>{arch}.attention.kv_lora_rank</c>), read from metadata and tensor shapes only.
/// </summary>
internal static class MoeInfo
{
    /// <summary>(label, value) lines to print; none for dense, non-MLA models.</summary>
    public static IEnumerable<(string Label, string Value)> Describe(GgufFile file, string arch)
    {
        var md = file.Metadata;
        string P(string key) => $"{arch}.{key}";
        long Int(string key, long dflt = 0) => md.GetInt64OrDefault(P(key), dflt);
        if (md.ContainsKey(P("attention.kv_lora_rank")))
        {
            long kvLora = Int("attention.kv_lora_rank"), rope = Int("rope.dimension_count"), heads = Int("attention.head_count");
            long qkHead = md.ContainsKey(P("attention.key_length_mla")) ? Int("attention.key_length_mla") : Int("attention.key_length");
            long vHead = md.ContainsKey(P("attention.value_length_mla")) ? Int("attention.value_length_mla") : Int("attention.value_length");
            long qLora = Int("attention.q_lora_rank");
            yield return ("attention", $"MLA: kv_lora_rank {N(kvLora)}, q_lora_rank {(qLora > 0 ? N(qLora) : "none (plain q)")}, " +
                $"q/k head {N(qkHead - rope)} + rope {N(rope)}, v head {N(vHead)}, " +
                $"{(md.ContainsKey(P("attention.key_length_mla")) ? "attn_k_b/attn_v_b" : "attn_kv_b")}");
            yield return ("kv per token", $"{N(kvLora + rope)} values per layer (latent + rope key); decompressed MHA would need {N(heads * (qkHead + vHead))}");
        }
        if (!md.ContainsKey(P("expert_count"))) yield break;
        long nExpert = Int("expert_count"), used = Int("expert_used_count"), shared = Int("expert_shared_count");
        string gating = Int("expert_gating_func", 1) == 2 ? "sigmoid" : "softmax";
        bool bias = file.Tensors.Any(t => t.Name.EndsWith(".exp_probs_b.bias", StringComparison.Ordinal));
        string groups = Int("expert_group_count", 1) > 1 ? $", {N(Int("expert_group_used_count"))} of {N(Int("expert_group_count"))} groups" : "";
        string norm = md.GetBoolOrDefault(P("expert_weights_norm"), false) ? "renormalised, " : "";
        float scale = md.GetFloatOrDefault(P("expert_weights_scale"), 1f);
        yield return ("experts", $"{N(nExpert)} routed, top-{N(used)} ({gating}{(bias ? " + selection bias" : "")}{groups}; {norm}" +
            $"scale {scale.ToString(CultureInfo.InvariantCulture)}), {N(shared)} shared, width {N(Int("expert_feed_forward_length"))}; " +
            $"{N(Int("leading_dense_block_count"))} leading dense layer(s)");
        yield return ("active params", $"{Count(ActiveParameters(file, nExpert, used))} per token ({N(used)} of {N(nExpert)} routed experts, all else)");
    }

    /// <summary>Every parameter except the routed experts a token does not use: stacked <c>*_exps</c> tensors count used/nExpert.</summary>
    public static long ActiveParameters(GgufFile file, long nExpert, long used)
    {
        ArgumentNullException.ThrowIfNull(file);
        long active = 0;
        foreach (var t in file.Tensors)
        {
            bool stacked = t.Name.Contains("_exps.", StringComparison.Ordinal) && t.Dims.Length == 3 && t.Dims[2] == nExpert;
            active += stacked ? t.ElementCount / nExpert * used : t.ElementCount;
        }
        return active;
    }

    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Count(long n) => $"{N(n)} ({(n / 1e9).ToString("0.00", CultureInfo.InvariantCulture)} B)";
}
