using DeepSharp.Gguf;
using DeepSharp.Kernels.Float;

namespace DeepSharp.Models.Abstractions;

// Glossary (GGUF / llama.cpp vocabulary, used in names and shape comments everywhere):
//   nEmbd    model width (d_model)                 nLayer   transformer blocks
//   nHead    query heads                           nHeadKv  key/value heads (GQA: nHead % nHeadKv == 0)
//   headDim  per-head size of q and k              headDimV per-head size of v
//   nFf      FFN hidden width                      nVocab   vocabulary (rows of token_embd)
//   nCtx     context positions                     nRot     leading dims of each head that RoPE rotates
//   nTok     tokens in the current batch

/// <summary>Hyper-parameters of a decoder-only transformer, read once from GGUF metadata and validated.</summary>
public sealed record ModelSpec
{
    public required string Arch { get; init; }
    public required int NEmbd { get; init; }
    public required int NLayer { get; init; }
    public required int NHead { get; init; }
    public required int NHeadKv { get; init; }
    public required int HeadDim { get; init; }
    public required int HeadDimV { get; init; }
    public required int NFf { get; init; }
    public required int NVocab { get; init; }
    /// <summary>Context length the model was trained for (<c>{arch}.context_length</c>).</summary>
    public required int NCtxTrain { get; init; }
    public required float RmsEps { get; init; }
    public required RopeConfig Rope { get; init; }
    /// <summary>q/k/v projections carry biases (qwen2).</summary>
    public bool QkvBias { get; init; }

    /// <summary>
    /// The keys every llama-like architecture shares, under the <c>{arch}.</c> prefix. Defaults follow llama.cpp:
    /// head_count_kv = head_count, key_length = n_embd / n_head, value_length = key_length,
    /// rope.dimension_count = key_length, rope.freq_base = 10000.
    /// </summary>
    public static ModelSpec ReadCommon(GgufMetadata md, string arch, int nVocab, RopeStyle ropeStyle, float[]? ropeFreqFactors = null)
    {
        ArgumentNullException.ThrowIfNull(md);
        string P(string key) => $"{arch}.{key}";
        int nEmbd = md.GetInt32(P("embedding_length")), nHead = md.GetInt32(P("attention.head_count"));
        int headDim = (int)md.GetInt64OrDefault(P("attention.key_length"), nHead > 0 ? nEmbd / nHead : 0);
        int nRot = (int)md.GetInt64OrDefault(P("rope.dimension_count"), headDim);
        int nCtxTrain = md.GetInt32(P("context_length"));
        var spec = new ModelSpec
        {
            Arch = arch,
            NEmbd = nEmbd,
            NLayer = md.GetInt32(P("block_count")),
            NHead = nHead,
            NHeadKv = (int)md.GetInt64OrDefault(P("attention.head_count_kv"), nHead),
            HeadDim = headDim,
            HeadDimV = (int)md.GetInt64OrDefault(P("attention.value_length"), headDim),
            NFf = md.GetInt32(P("feed_forward_length")),
            NVocab = nVocab,
            NCtxTrain = nCtxTrain,
            RmsEps = md.GetFloat(P("attention.layer_norm_rms_epsilon")),
            Rope = ReadRope(md, arch, ropeStyle, nRot, nCtxTrain) with { FreqFactors = ropeFreqFactors },
        };
        spec.Validate();
        return spec;
    }

    // rope.scaling.type: none | linear | yarn, with rope.scaling.factor (older files: rope.scale_linear).
    private static RopeConfig ReadRope(GgufMetadata md, string arch, RopeStyle style, int nRot, int nCtxTrain)
    {
        string P(string key) => $"{arch}.{key}";
        var rope = new RopeConfig(style, nRot, md.GetFloatOrDefault(P("rope.freq_base"), 10000f));
        string type = md.GetStringOrNull(P("rope.scaling.type")) ?? "none";
        float factor = md.GetFloatOrDefault(P("rope.scaling.factor"), md.GetFloatOrDefault(P("rope.scale_linear"), 1f));
        if (type == "none" && factor > 1f) type = "linear";
        int nCtxOrig = (int)md.GetInt64OrDefault(P("rope.scaling.original_context_length"), nCtxTrain);
        return type switch
        {
            "none" => rope,
            "linear" => rope with { Scaling = RopeScaling.Linear, FreqScale = 1f / factor },
            "yarn" => rope with { Scaling = RopeScaling.Yarn, FreqScale = 1f / factor, NCtxOrig = nCtxOrig, ExtFactor = 1f },
            _ => throw new GgufFormatException($"{P("rope.scaling.type")}: unsupported RoPE scaling '{type}' (supported: none, linear, yarn)"),
        };
    }

    private void Validate()
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new GgufFormatException($"{Arch} hyper-parameters: {what} ({this})");
        }
        Require(NEmbd > 0 && NLayer > 0 && NHead > 0 && NHeadKv > 0 && NFf > 0 && NVocab > 0, "sizes must be positive");
        Require(NHead % NHeadKv == 0, $"head_count {NHead} must be a multiple of head_count_kv {NHeadKv}");
        Require(HeadDim > 0 && HeadDimV > 0, "head sizes must be positive");
        Require(Rope.NRot > 0 && Rope.NRot <= HeadDim && Rope.NRot % 2 == 0, $"rope.dimension_count {Rope.NRot} must be even and ≤ key_length {HeadDim}");
        Require(RmsEps > 0, "layer_norm_rms_epsilon must be positive");
    }
}
