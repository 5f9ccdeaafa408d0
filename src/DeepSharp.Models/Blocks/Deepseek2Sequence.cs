using DeepSharp.Kernels.Attention;
using DeepSharp.Kernels.Quantized;
using DeepSharp.Kernels.Threading;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Blocks;

/// <summary>
/// One deepseek2 sequence: its compressed latent KV cache and the MLA/MoE buffers beyond <see cref="ForwardState"/>,
/// allocated once for micro-batches of up to B tokens. Rows are tokens.
/// </summary>
public sealed class Deepseek2Sequence : SequenceCache
{
    public Deepseek2Sequence(ModelSpec s, Deepseek2Params p, KvType type, int nCtx, int maxBatch, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(p);
        int b = maxBatch, k = p.Routing.NExpertUsed, ffWidth = Math.Max(p.NFfExp, p.NFfExp * p.NExpertShared);
        Kv = new LatentKvCache(type, s.NLayer, nCtx, p.KvLoraRank, p.QkRope);
        Attention = new LatentAttention(pool, s.NHead, Kv.Width, p.KvLoraRank, nCtx);
        QFull = new float[b * s.NHead * p.QkHead];
        QLora = new float[b * p.QLoraRank];
        QLoraNormed = new float[b * p.QLoraRank];
        Latent = new float[b * p.KvLoraRank];
        HeadIn = new float[b * Math.Max(p.QkNope, p.KvLoraRank)];
        HeadOut = new float[b * Math.Max(p.KvLoraRank, p.VHead)];
        O = new float[b * s.NHead * p.VHead];
        RouterLogits = new float[b * p.Routing.NExpert];
        Scores = new float[p.Routing.NExpert];
        Selection = new float[p.Routing.NExpert];
        Chosen = new int[b * k];
        Weights = new float[b * k];
        ExpertRows = new int[b];
        ExpertRowWeights = new float[b];
        ExpertIn = new float[b * s.NEmbd];
        // A decoded token's k experts run side by side (MoeFfn), one row each.
        int expertRows = Math.Max(b, k);
        ExpertGate = new float[expertRows * ffWidth];
        ExpertUp = new float[expertRows * ffWidth];
        ExpertOut = new float[expertRows * s.NEmbd];
        ExpertProducts = new VectorProduct[2 * k];
        TokenExperts = new int[k];
        TokenExpertWeights = new float[k];
        MoeSum = new float[b * s.NEmbd];
    }

    public LatentKvCache Kv { get; }
    public LatentAttention Attention { get; }
    public override long ByteSize => Kv.ByteSize;

    public float[] QFull { get; }            // [B, nHead·(qkNope+qkRope)] queries before absorption
    public float[] QLora { get; }            // [B, qLoraRank] W_DQ·x
    public float[] QLoraNormed { get; }      // [B, qLoraRank]
    public float[] Latent { get; }           // [B, kvLoraRank] RMSNorm(c_KV)
    public float[] HeadIn { get; }           // [B, max(qkNope, kvLoraRank)] one head's rows, gathered
    public float[] HeadOut { get; }          // [B, max(kvLoraRank, vHead)]
    public float[] O { get; }                // [B, nHead·vHead] attention output before W_O
    public float[] RouterLogits { get; }     // [B, nExpert]
    public float[] Scores { get; }           // [nExpert] one token's gate scores
    public float[] Selection { get; }        // [nExpert] one token's (biased, group-masked) selection values
    public int[] Chosen { get; }             // [B, k] experts of each token, best first
    public float[] Weights { get; }          // [B, k] their mixing weights
    public int[] ExpertRows { get; }         // [B] batch rows routed to the expert being run
    public float[] ExpertRowWeights { get; } // [B] their weights for that expert
    public float[] ExpertIn { get; }         // [B, nEmbd] those rows' inputs, gathered
    public float[] ExpertGate { get; }       // [max(B, k), max(nFfExp, nShared·nFfExp)]
    public float[] ExpertUp { get; }         // [max(B, k), max(nFfExp, nShared·nFfExp)]
    public float[] ExpertOut { get; }        // [max(B, k), nEmbd]
    public VectorProduct[] ExpertProducts { get; } // [2k] one token's expert products, dispatched together
    public int[] TokenExperts { get; }       // [k] one token's experts in ascending order
    public float[] TokenExpertWeights { get; } // [k] their weights
    public float[] MoeSum { get; }           // [B, nEmbd] Σ weight·expert output per token
}
