using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Threading;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Blocks;

/// <summary>
/// What a batched deepseek2 step needs beyond <see cref="ForwardState"/>: row i is a token of <see cref="Caches"/>[i]
/// at <see cref="Positions"/>[i] (a sequence's rows are consecutive, in position order). The MLA/MoE row buffers of up to maxRows rows come
/// from <see cref="Rows"/>, a <see cref="Deepseek2Sequence"/> whose own one-position latent cache is never used:
/// each row stores into and attends over its own sequence's cache.
/// </summary>
public sealed class Deepseek2Batch
{
    public Deepseek2Batch(ModelSpec s, Deepseek2Params p, int maxRows, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(p);
        Rows = new Deepseek2Sequence(s, p, KvType.F32, nCtx: 1, maxRows, pool);
        Caches = new Deepseek2Sequence[maxRows];
        Positions = new int[maxRows];
        QGroup = new float[maxRows * s.NHead * (p.KvLoraRank + p.QkRope)];
        AttGroup = new float[maxRows * s.NHead * p.KvLoraRank];
    }

    public Deepseek2Sequence Rows { get; }
    public Deepseek2Sequence[] Caches { get; }   // [maxRows] each row's own sequence
    public int[] Positions { get; }              // [maxRows] the position each row's token goes to
    public float[] QGroup { get; }               // [maxRows, nHead·(kvLora+qkRope)] one sequence's absorbed queries
    public float[] AttGroup { get; }             // [maxRows, nHead·kvLora] their attention outputs
}
