using DeepSharp.Kernels.Attention;

namespace DeepSharp.Models;

/// <summary>
/// What one sequence keeps between forward passes, made by its architecture: a GQA key/value cache for llama-like
/// models, the compressed latent cache (plus MoE/MLA scratch) for deepseek2.
/// </summary>
public abstract class SequenceCache
{
    /// <summary>Bytes of cached keys/values (the part that grows with the context).</summary>
    public abstract long ByteSize { get; }
}

/// <summary>The key/value cache of grouped-query attention.</summary>
internal sealed class GqaSequenceCache(KvCache kv) : SequenceCache
{
    public KvCache Kv { get; } = kv;
    public override long ByteSize => Kv.ByteSize;
}
