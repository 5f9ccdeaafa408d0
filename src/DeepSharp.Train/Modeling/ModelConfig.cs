using DeepSharp.Synth;

namespace DeepSharp.Train.Modeling;

/// <summary>The shape of a trainable qwen2 decoder (GGUF vocabulary: Dim = embedding_length, FfnDim = feed_forward_length).</summary>
public sealed record ModelConfig
{
    /// <summary>Ids in the vocabulary: 256 bytes, learned merges, then the R1 special tokens at the end.</summary>
    public const int DefaultVocabSize = 512;

    public required int Dim { get; init; }

    public required int Layers { get; init; }

    public required int Heads { get; init; }

    public required int KvHeads { get; init; }

    public required int FfnDim { get; init; }

    public int VocabSize { get; init; } = DefaultVocabSize;

    public int ContextLength { get; init; } = 1024;

    public float RopeBase { get; init; } = 10000f;

    public float RmsEps { get; init; } = 1e-6f;

    public int HeadDim => Dim / Heads;

    /// <summary>Names of <see cref="Preset"/>'s sizes.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["test", "ci", "tiny", "small", "base"];

    /// <summary>
    /// test: gradient checks; ci: the CI miniature (seconds); tiny/small/base: real runs on a 2-core CPU
    /// (≈0.1 M, 0.6 M and 1.9 M parameters besides the embeddings).
    /// </summary>
    public static ModelConfig Preset(string name) => name switch
    {
        "test" => new() { Dim = 16, Layers = 1, Heads = 2, KvHeads = 1, FfnDim = 24, VocabSize = 300 },
        "ci" => new() { Dim = 32, Layers = 2, Heads = 2, KvHeads = 1, FfnDim = 64 },
        "tiny" => new() { Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FfnDim = 192 },
        "small" => new() { Dim = 128, Layers = 3, Heads = 4, KvHeads = 2, FfnDim = 384 },
        "base" => new() { Dim = 192, Layers = 4, Heads = 6, KvHeads = 2, FfnDim = 512 },
        _ => throw new ArgumentException($"Unknown model size '{name}' (use {string.Join(", ", PresetNames)})."),
    };

    /// <summary>The same shape in Synth's terms: its metadata, vocabulary and R1 special tokens are what the GGUF holds.</summary>
    public SynthShape ToShape(string modelName)
    {
        SpecialTokenSet specials = SpecialTokenSet.R1DistillQwen.Compact();
        var shape = new SynthShape
        {
            Arch = "qwen2", ModelName = modelName, NEmbd = Dim, NLayer = Layers, NHead = Heads, NHeadKv = KvHeads,
            NFf = FfnDim, NVocab = VocabSize, ContextLength = ContextLength, RopeFreqBase = RopeBase, RmsEps = RmsEps,
            QkvBias = true, Specials = specials, SpecialBase = VocabSize - specials.BlockSize, Sampling = (0.6f, 0.95f),
        };
        shape.Validate();
        return shape;
    }
}
