using DeepSharp.Kernels.Attention;

namespace DeepSharp.Models;

/// <summary>How to load a model and size its sessions.</summary>
public sealed record LoadOptions
{
    /// <summary>Threads used by the kernels (the caller's thread included). Default: all processors.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Context positions per session; 0 = the trained context_length capped at <see cref="DefaultMaxContext"/>.</summary>
    public int ContextSize { get; init; }

    /// <summary>KV cache element type; F16 like llama.cpp by default.</summary>
    public KvType KvType { get; init; } = KvType.F16;

    /// <summary>
    /// Tokens per forward pass during prompt processing (each weight row is read once per batch). 512 as llama.cpp's
    /// micro-batch: from 64 rows attention takes the tiled path, and the weights stream once per 512 prompt tokens.
    /// </summary>
    public int BatchSize { get; init; } = 512;

    public const int DefaultMaxContext = 4096;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Threads, 1, nameof(Threads));
        ArgumentOutOfRangeException.ThrowIfNegative(ContextSize, nameof(ContextSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!Enum.IsDefined(KvType)) throw new ArgumentOutOfRangeException(nameof(KvType), KvType, "unknown KV cache type");
    }
}
