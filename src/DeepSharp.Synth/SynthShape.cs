namespace DeepSharp.Synth;

/// <summary>Long-context RoPE scaling of Llama 3.1 ("rope_type": "llama3"), baked into a <c>rope_freqs.weight</c> tensor.</summary>
public sealed record Llama3RopeScaling(float Factor, float LowFreqFactor, float HighFreqFactor, int OriginalContextLength);

/// <summary>
/// The exact shape of a model: every number llama.cpp reads from GGUF metadata, in GGUF vocabulary
/// (nEmbd = hidden size, nLayer, nHead, nHeadKv, headDim, nFf = FFN hidden, nVocab).
/// </summary>
public sealed record SynthShape
{
    /// <summary>GGUF architecture: "qwen2", "llama" or "deepseek2".</summary>
    public required string Arch { get; init; }

    /// <summary>general.name written into the file.</summary>
    public required string ModelName { get; init; }

    public required int NEmbd { get; init; }

    public required int NLayer { get; init; }

    public required int NHead { get; init; }

    public required int NHeadKv { get; init; }

    public required int NFf { get; init; }

    public required int NVocab { get; init; }

    public required int ContextLength { get; init; }

    public required float RopeFreqBase { get; init; }

    public required float RmsEps { get; init; }

    /// <summary>Q/K/V projections carry biases (Qwen2).</summary>
    public bool QkvBias { get; init; }

    /// <summary>No <c>output.weight</c>: the output projection reuses <c>token_embd.weight</c>.</summary>
    public bool TiedEmbeddings { get; init; }

    public Llama3RopeScaling? RopeScaling { get; init; }

    /// <summary>MLA and MoE parameters; required exactly when <see cref="Arch"/> is "deepseek2".</summary>
    public Deepseek2Shape? Deepseek2 { get; init; }

    /// <summary>Which special tokens, pre-tokenizer and chat template the vocabulary gets.</summary>
    public required SpecialTokenSet Specials { get; init; }

    /// <summary>First id of the special-token block (the real model's id; for tiny vocabularies the end of the vocab).</summary>
    public required int SpecialBase { get; init; }

    /// <summary>Recommended sampling written as general.sampling.* (null: none written).</summary>
    public (float Temperature, float TopP)? Sampling { get; init; }

    public int HeadDim => NEmbd / NHead;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first inconsistent value.</summary>
    public void Validate()
    {
        Require(Arch is "qwen2" or "llama" or "deepseek2", $"architecture '{Arch}' is not supported (use qwen2, llama or deepseek2)");
        Require(NEmbd > 0 && NLayer > 0 && NHead > 0 && NHeadKv > 0 && NFf > 0 && NVocab > 0 && ContextLength > 0,
            "all dimensions must be positive");
        Require((Arch == "deepseek2") == (Deepseek2 is not null), "deepseek2 shapes (and only they) carry MLA/MoE parameters");
        if (Deepseek2 is { } ds)
        {
            ds.Validate(NLayer, Require);
            Require(NHeadKv == (ds.Absorbed ? 1 : NHead), "MLA files store one KV head (absorbed layout) or n_head heads (legacy attn_kv_b)");
        }
        else
        {
            Require(NEmbd % NHead == 0, $"hidden size {NEmbd} is not a multiple of the head count {NHead}");
            Require(NHead % NHeadKv == 0, $"head count {NHead} is not a multiple of the KV head count {NHeadKv}");
            Require(HeadDim % 2 == 0, $"head size {HeadDim} must be even for RoPE");
        }

        Require(float.IsFinite(RopeFreqBase) && RopeFreqBase > 1, $"rope base {RopeFreqBase} must be > 1");
        Require(float.IsFinite(RmsEps) && RmsEps > 0, $"RMS epsilon {RmsEps} must be > 0");
        Require(SpecialBase >= 0 && SpecialBase + Specials.BlockSize <= NVocab,
            $"special tokens (ids {SpecialBase}..{SpecialBase + Specials.BlockSize - 1}) do not fit in the vocabulary of {NVocab}");
        Require(SpecialBase >= ByteLevel.ByteTokenCount,
            $"special tokens start at {SpecialBase}, inside the {ByteLevel.ByteTokenCount} byte tokens");
    }

    private void Require(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException($"Model shape '{ModelName}': {message}.");
        }
    }
}
