namespace DeepSharp.Synth;

/// <summary>What <see cref="SynthModel"/> writes. Give a <see cref="Preset"/> name or an explicit <see cref="Shape"/>.</summary>
public sealed record SynthOptions
{
    /// <summary>Expected architecture ("qwen2", "llama" or "deepseek2"); when set it must match the preset's.</summary>
    public string? Arch { get; init; }

    /// <summary>A name from <see cref="SynthPresets.Names"/>.</summary>
    public string? Preset { get; init; }

    /// <summary>An explicit shape (instead of a preset).</summary>
    public SynthShape? Shape { get; init; }

    /// <summary>llama-quantize style mix: f32, f16, bf16, q8_0, q4_0, q4_k_m, q5_k_m, q6_k (and the other mixes QuantRecipe knows).</summary>
    public string FileType { get; init; } = "f16";

    /// <summary>Seed of the weights; the same options give the same bytes.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>A Hugging Face tokenizer.json whose tokens and merges to use; null synthesizes a vocabulary.</summary>
    public string? VocabPath { get; init; }

    /// <summary>Text to learn the BPE merges from instead of the built-in English sample (ignored with <see cref="VocabPath"/>).</summary>
    public string? MergeText { get; init; }

    /// <summary>Standard deviation of the random matrices and biases (norm weights are 1). Default 0.02.</summary>
    public float WeightStd { get; init; } = SynthModel.DefaultWeightStd;

    /// <summary>Chat template to embed instead of the preset family's (see Resources/README.md).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Threads generating and quantizing rows.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Write only metadata and vocabulary, no tensors (like llama.cpp's ggml-vocab-*.gguf files).</summary>
    public bool VocabOnly { get; init; }

    /// <summary>The shape these options describe; <see cref="ArgumentException"/> when they are incomplete or inconsistent.</summary>
    public SynthShape ResolveShape()
    {
        if (Shape is not null && Preset is not null)
        {
            throw new ArgumentException("Give either a preset or an explicit shape, not both.");
        }

        SynthShape shape = Shape ?? (Preset is not null
            ? SynthPresets.Get(Preset)
            : throw new ArgumentException($"No model shape: give a preset ({string.Join(", ", SynthPresets.Names)}) or an explicit shape."));
        if (Arch is not null && !string.Equals(Arch, shape.Arch, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Preset '{Preset ?? shape.ModelName}' is a {shape.Arch} model, not {Arch}.");
        }

        shape.Validate();
        return shape;
    }

    /// <summary>Checks the scalar options (the shape and file type are checked when the plan is built).</summary>
    public void ValidateScalars()
    {
        if (!float.IsFinite(WeightStd) || WeightStd <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WeightStd), WeightStd, "Weight standard deviation must be a positive number.");
        }

        if (Threads is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be between 1 and 256.");
        }

        if (VocabPath is not null && !File.Exists(VocabPath))
        {
            throw new ArgumentException($"Vocabulary file '{VocabPath}' does not exist.", nameof(VocabPath));
        }

        if (string.IsNullOrWhiteSpace(FileType))
        {
            throw new ArgumentException("File type must not be empty.", nameof(FileType));
        }
    }
}
