using DeepSharp.Gguf;
using DeepSharp.Kernels.Float;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Architectures;

/// <summary>
/// Qwen2 (→ DeepSeek-R1-Distill-Qwen): GQA, RMSNorm, SwiGLU, RoPE with NEOX pairing (x[i] ↔ x[i + nRot/2]),
/// biases on q/k/v but not on the output projection. Reference: llama.cpp src/models/qwen2.cpp; spec §A.
/// </summary>
public sealed class Qwen2 : DecoderModel
{
    public const string Name = "qwen2";

    private Qwen2(ModelSpec spec, WeightSource w) : base(spec, w) { }

    public static ModelSpec ReadSpec(GgufMetadata md, int nVocab) =>
        ModelSpec.ReadCommon(md, Name, nVocab, RopeStyle.Neox) with { QkvBias = true };

    public static Qwen2 Create(WeightSource w)
    {
        ArgumentNullException.ThrowIfNull(w);
        return new Qwen2(ReadSpec(w.File.Metadata, w.VocabFromEmbedding()), w);
    }
}
