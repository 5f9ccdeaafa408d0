using DeepSharp.Kernels.Float;
using DeepSharp.Models.Abstractions;

namespace DeepSharp.Models.Blocks;

/// <summary>
/// The decompressed MLA of the paper, for tests: per cached position and head the full key
/// k_h(s) = [W_UK^h·c(s) ; k_pe(s)] and value v_h(s) = W_UV^h·c(s) are rebuilt from the latent row, then plain
/// softmax attention with head size qkNope + qkRope. Slow (O(context · heads · kvLora · head) per token) and
/// allocating; it exists to show the absorbed path computes the same thing.
/// </summary>
internal static class MlaNaive
{
    /// <summary>seq.O [nTok, nHead·vHead] ← naive attention of seq.QFull (q_pe already rotated) over the cache.</summary>
    public static void Attend(MlaAttention a, ModelSpec s, Deepseek2Params p, Deepseek2Sequence seq, int layer, int nTok, int pos0)
    {
        int nH = s.NHead, rank = p.KvLoraRank, nope = p.QkNope;
        int nCtx = pos0 + nTok;
        var rows = new float[nCtx][];
        for (int pos = 0; pos < nCtx; pos++)
        {
            rows[pos] = new float[seq.Kv.Width];
            seq.Kv.ReadRow(layer, pos, rows[pos]);
        }
        for (int h = 0; h < nH; h++)
        {
            float[] ukT = Decode(a.UkT[h]);   // [rank, nope]
            float[] uv = Decode(a.Uv[h]);     // [vHead, rank]
            var keys = new float[nCtx][];
            var values = new float[nCtx][];
            for (int pos = 0; pos < nCtx; pos++)
            {
                var c = rows[pos].AsSpan(0, rank);
                keys[pos] = new float[p.QkHead];
                for (int r = 0; r < rank; r++) FloatKernels.Axpy(c[r], ukT.AsSpan(r * nope, nope), keys[pos].AsSpan(0, nope));
                rows[pos].AsSpan(rank, p.QkRope).CopyTo(keys[pos].AsSpan(nope));
                values[pos] = new float[p.VHead];
                for (int j = 0; j < p.VHead; j++) values[pos][j] = FloatKernels.Dot(uv.AsSpan(j * rank, rank), c);
            }
            for (int t = 0; t < nTok; t++)
            {
                var q = seq.QFull.AsSpan((t * nH + h) * p.QkHead, p.QkHead);
                int n = pos0 + t + 1;
                var scores = new float[n];
                for (int pos = 0; pos < n; pos++) scores[pos] = FloatKernels.Dot(keys[pos], q) * p.KqScale;
                FloatKernels.Softmax(scores);
                var o = seq.O.AsSpan((t * nH + h) * p.VHead, p.VHead);
                o.Clear();
                for (int pos = 0; pos < n; pos++) FloatKernels.Axpy(scores[pos], values[pos], o);
            }
        }
    }

    private static float[] Decode(Kernels.Quantized.QTensor t)
    {
        var all = new float[checked((int)(t.Rows * t.Cols))];
        for (long r = 0; r < t.Rows; r++) t.DecodeRow(r, all.AsSpan((int)(r * t.Cols), t.Cols));
        return all;
    }
}
