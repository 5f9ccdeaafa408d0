using DeepSharp.Gguf;
using DeepSharp.Kernels.Float;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Architectures;

/// <summary>
/// Llama (→ DeepSeek-R1-Distill-Llama, llama2.c models): like Qwen2 but RoPE pairs adjacent elements
/// (x[2i], x[2i+1]), no q/k/v biases, and optional per-pair frequency divisors in <c>rope_freqs.weight</c>
/// (llama-3.1 long-context scaling). Reference: llama.cpp src/models/llama.cpp; spec §A.5.
/// </summary>
public sealed class Llama : DecoderModel
{
    public const string Name = "llama";

    private Llama(ModelSpec spec, WeightSource w) : base(spec, w) { }

    public static ModelSpec ReadSpec(GgufMetadata md, int nVocab, float[]? ropeFreqFactors) =>
        ModelSpec.ReadCommon(md, Name, nVocab, RopeStyle.Norm, ropeFreqFactors);

    public static Llama Create(WeightSource w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var md = w.File.Metadata;
        var spec = ReadSpec(md, w.VocabFromEmbedding(), ropeFreqFactors: null);
        var factors = w.GetOptionalVector(TensorNames.Global(TensorNames.RopeFreqs), spec.Rope.NRot / 2);
        return new Llama(spec with { Rope = spec.Rope with { FreqFactors = factors } }, w);
    }
}
