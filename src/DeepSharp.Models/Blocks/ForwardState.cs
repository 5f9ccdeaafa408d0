using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Float;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Blocks;

/// <summary>
/// Every buffer one forward pass needs, allocated once per session for micro-batches of up to
/// <see cref="MaxBatch"/> tokens (B below), plus the kernel jobs that use the model's worker pool.
/// Rows are tokens: X [B, nEmbd] means B rows of nEmbd floats.
/// </summary>
public sealed class ForwardState
{
    public ForwardState(ModelSpec s, int maxBatch, int nCtx, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(s);
        MaxBatch = maxBatch;
        int qWidth = s.NHead * s.HeadDim, kWidth = s.NHeadKv * s.HeadDim, vWidth = s.NHeadKv * s.HeadDimV;
        int attWidth = s.NHead * s.HeadDimV;
        X = new float[maxBatch * s.NEmbd];
        Xb = new float[maxBatch * s.NEmbd];
        Xb2 = new float[maxBatch * s.NEmbd];
        Q = new float[maxBatch * qWidth];
        K = new float[maxBatch * kWidth];
        V = new float[maxBatch * vWidth];
        Att = new float[maxBatch * attWidth];
        Gate = new float[maxBatch * s.NFf];
        Up = new float[maxBatch * s.NFf];
        RopeCos = new float[maxBatch * (s.Rope.NRot / 2)];
        RopeSin = new float[maxBatch * (s.Rope.NRot / 2)];
        Logits = new float[s.NVocab];
        int maxCols = Math.Max(Math.Max(s.NEmbd, s.NFf), attWidth);
        MatMul = new MatMul(pool, maxCols, maxBatch);
        SwiGlu = new SwiGluJob(pool);
        Attention = new CausalAttention(pool, s.NHead, s.NHeadKv, s.HeadDim, s.HeadDimV, nCtx);
    }

    public int MaxBatch { get; }
    public float[] X { get; }        // [B, nEmbd] residual stream
    public float[] Xb { get; }       // [B, nEmbd] normed input of a sub-block
    public float[] Xb2 { get; }      // [B, nEmbd] output of a sub-block, added to X
    public float[] Q { get; }        // [B, nHead·headDim]
    public float[] K { get; }        // [B, nHeadKv·headDim]
    public float[] V { get; }        // [B, nHeadKv·headDimV]
    public float[] Att { get; }      // [B, nHead·headDimV] attention output before Wo
    public float[] Gate { get; }     // [B, nFf] SiLU(gate)·up after SwiGLU
    public float[] Up { get; }       // [B, nFf]
    public float[] RopeCos { get; }  // [B, nRot/2] angles of each batch position
    public float[] RopeSin { get; }  // [B, nRot/2]
    public float[] Logits { get; }   // [nVocab] of the batch's last token
    public MatMul MatMul { get; }
    public SwiGluJob SwiGlu { get; }
    public CausalAttention Attention { get; }
}
