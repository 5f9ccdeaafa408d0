using DeepSharp.Core.Quant;
using DeepSharp.Gguf;

namespace DeepSharp.Synth;

/// <summary>How a tensor's values are made.</summary>
public enum WeightKind
{
    /// <summary>N(0, σ) from the seeded generator.</summary>
    Random,

    /// <summary>All ones (RMSNorm weights).</summary>
    Ones,

    /// <summary>Llama 3.1 RoPE frequency factors (rope_freqs.weight).</summary>
    RopeFactors,
}

/// <summary>One tensor of the file: GGUF name, stored type, dims (ne0 first), how its values are made.</summary>
public sealed record SynthTensor(string Name, QuantType Type, IReadOnlyList<long> Dims, WeightKind Kind)
{
    public long RowLength => Dims[0];

    public long RowCount => Dims.Skip(1).Aggregate(1L, (a, b) => a * b);

    public long ByteLength => QuantTypeInfo.Get(Type).RowBytes(RowLength) * RowCount;
}

/// <summary>Everything a synthetic file will contain except the weight values: metadata in order, tensor directory, vocabulary.</summary>
public sealed class SynthPlan
{
    internal SynthPlan(SynthShape shape, LlamaFileType fileType, IReadOnlyList<KeyValuePair<string, GgufValue>> metadata,
        IReadOnlyList<SynthTensor> tensors, SynthVocab vocab)
    {
        Shape = shape;
        FileType = fileType;
        Metadata = metadata;
        Tensors = tensors;
        Vocab = vocab;
    }

    public SynthShape Shape { get; }

    public LlamaFileType FileType { get; }

    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata { get; }

    public IReadOnlyList<SynthTensor> Tensors { get; }

    public SynthVocab Vocab { get; }

    public long TensorBytes => Tensors.Sum(t => t.ByteLength);

    public long ParameterCount => Tensors.Sum(t => t.RowLength * t.RowCount);
}
