using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Threading;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Blocks;

/// <summary>
/// What a batched deepseek2 decode step needs beyond <see cref="ForwardState"/>: row i is the next token of
/// <see cref="Caches"/>[i] at <see cref="Positions"/>[i]. The MLA/MoE row buffers of up to maxSequences rows come
/// from <see cref="Rows"/>, a <see cref="Deepseek2Sequence"/> whose own one-position latent cache is never used:
/// each row stores into and attends over its own sequence's cache.
/// </summary>
public sealed class Deepseek2Batch
{
    public Deepseek2Batch(ModelSpec s, Deepseek2Params p, int maxSequences, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(p);
        Rows = new Deepseek2Sequence(s, p, KvType.F32, nCtx: 1, maxSequences, pool);
        Caches = new Deepseek2Sequence[maxSequences];
        Positions = new int[maxSequences];
        QRow = new float[s.NHead * (p.KvLoraRank + p.QkRope)];
        AttRow = new float[s.NHead * p.KvLoraRank];
    }

    public Deepseek2Sequence Rows { get; }
    public Deepseek2Sequence[] Caches { get; }   // [maxSequences] each row's own sequence
    public int[] Positions { get; }              // [maxSequences] the position each row's token goes to
    public float[] QRow { get; }                 // [nHead·(kvLora+qkRope)] one row's absorbed query
    public float[] AttRow { get; }               // [nHead·kvLora] one row's attention output
}
