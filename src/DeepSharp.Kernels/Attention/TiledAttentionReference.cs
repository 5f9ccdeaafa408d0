namespace DeepSharp.Kernels.Attention;

/// <summary>
/// <see cref="TiledAttention"/> one query row and one element at a time: the same key tiles, each score one fused
/// chain over the head dimension, the same softmax step, each output lane one fused chain over the tile's positions.
/// The tiled kernel must equal it bit for bit.
/// </summary>
internal static class TiledAttentionReference
{
    /// <summary>o [headDimV] ← attention of q [headDim] over positions 0 ..= lastVisible of KV head g, scores scaled by <paramref name="scale"/>.</summary>
    public static void Row(IKeyValueRows kv, int layer, int g, int headDim, int headDimV, float scale, ReadOnlySpan<float> q, int lastVisible, Span<float> o)
    {
        const int tile = TiledAttention.KvTile;
        float max = float.NegativeInfinity, sum = 0;
        var k = new float[headDim];
        var v = new float[headDimV];
        var s = new float[tile];
        o.Clear();
        for (int k0 = 0; k0 <= lastVisible; k0 += tile)
        {
            int nk = Math.Min(tile, lastVisible + 1 - k0);
            for (int j = 0; j < tile; j++)
            {
                s[j] = 0;
                if (j >= nk) continue;
                kv.ReadK(layer, k0 + j, g * headDim, k);
                for (int d = 0; d < headDim; d++) s[j] = MathF.FusedMultiplyAdd(q[d], k[d], s[j]);
            }
            TiledAttention.SoftmaxStep(s, k0, nk, lastVisible, ref max, ref sum, o, scale);
            for (int j = 0; j < nk; j++)
            {
                kv.ReadV(layer, k0 + j, g * headDimV, v);
                for (int i = 0; i < headDimV; i++) o[i] = MathF.FusedMultiplyAdd(s[j], v[i], o[i]);
            }
        }
        float inv = sum == 0 ? 0 : 1f / sum;
        for (int i = 0; i < headDimV; i++) o[i] *= inv;
    }
}
