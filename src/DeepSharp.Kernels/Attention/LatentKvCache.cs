namespace DeepSharp.Kernels.Attention;

/// <summary>
/// The compressed cache of Multi-head Latent Attention (DeepSeek-V2/V3): per layer and position one row
/// [latent (kvLoraRank) ; rope key (ropeDim)] shared by all heads — kvLoraRank + ropeDim values per token per
/// layer instead of nHead·(keyDim + valueDim). The latent part doubles as the value (llama.cpp keeps V as a view
/// of K the same way). Rows are F16 (llama.cpp's default) or F32.
/// </summary>
public sealed class LatentKvCache : IKeyValueRows
{
    private readonly Half[][]? _half;     // [nLayer][nCtx · Width]
    private readonly float[][]? _single;  // [nLayer][nCtx · Width]

    public LatentKvCache(KvType type, int nLayer, int nCtx, int kvLoraRank, int ropeDim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nCtx, 1);
        if (type == KvType.Q8_0) throw new ArgumentException("the MLA latent cache stores F16 or F32 rows (Q8_0 is not supported)", nameof(type));
        (Type, NLayer, NCtx, KvLoraRank, RopeDim) = (type, nLayer, nCtx, kvLoraRank, ropeDim);
        long size = checked((long)nCtx * Width);
        if (type == KvType.F16) _half = [.. Enumerable.Range(0, nLayer).Select(_ => new Half[size])];
        else _single = [.. Enumerable.Range(0, nLayer).Select(_ => new float[size])];
    }

    public KvType Type { get; }
    public int NLayer { get; }
    public int NCtx { get; }
    public int KvLoraRank { get; }
    public int RopeDim { get; }
    /// <summary>Values per position per layer: kvLoraRank + ropeDim.</summary>
    public int Width => KvLoraRank + RopeDim;

    /// <summary>Bytes held by the cache.</summary>
    public long ByteSize => (long)NLayer * NCtx * Width * (Type == KvType.F16 ? 2 : 4);

    /// <summary>Row [layer][pos] ← [latent (kvLoraRank) ; ropeKey (ropeDim)].</summary>
    public void Store(int layer, int pos, ReadOnlySpan<float> latent, ReadOnlySpan<float> ropeKey)
    {
        if (_half is not null)
        {
            var row = _half[layer].AsSpan(pos * Width, Width);
            for (int i = 0; i < KvLoraRank; i++) row[i] = (Half)latent[i];
            for (int i = 0; i < RopeDim; i++) row[KvLoraRank + i] = (Half)ropeKey[i];
            return;
        }
        var r = _single![layer].AsSpan(pos * Width, Width);
        latent[..KvLoraRank].CopyTo(r);
        ropeKey[..RopeDim].CopyTo(r[KvLoraRank..]);
    }

    /// <summary>The F16 row [Width] of (layer, pos).</summary>
    public ReadOnlySpan<Half> HalfRow(int layer, int pos) => _half![layer].AsSpan(pos * Width, Width);

    /// <summary>The F32 row [Width] of (layer, pos).</summary>
    public ReadOnlySpan<float> FloatRow(int layer, int pos) => _single![layer].AsSpan(pos * Width, Width);

    /// <summary>dst ← row (layer, pos) [offset .. offset + dst.Length] as floats (the key: latent and rope key).</summary>
    public void ReadK(int layer, int pos, int offset, Span<float> dst)
    {
        if (_half is null) FloatRow(layer, pos).Slice(offset, dst.Length).CopyTo(dst);
        else Float.HalfVector.Widen(HalfRow(layer, pos).Slice(offset, dst.Length), dst);
    }

    /// <summary>The value is the key's latent part: the same read.</summary>
    public void ReadV(int layer, int pos, int offset, Span<float> dst) => ReadK(layer, pos, offset, dst);

    /// <summary>dst [count, dst.Length / count] ← rows pos0 .. pos0 + count − 1 [offset ..] as floats.</summary>
    public void ReadKRows(int layer, int pos0, int count, int offset, Span<float> dst)
    {
        int len = dst.Length / count;
        if (_half is null)
        {
            for (int r = 0; r < count; r++) ReadK(layer, pos0 + r, offset, dst.Slice(r * len, len));
            return;
        }
        Float.HalfVector.WidenRows(_half[layer].AsSpan(pos0 * Width + offset), Width, count, len, dst);
    }

    /// <summary>The value rows are the keys' latent parts: the same read.</summary>
    public void ReadVRows(int layer, int pos0, int count, int offset, Span<float> dst) => ReadKRows(layer, pos0, count, offset, dst);

    /// <summary>Brings F16 rows pos0 .. pos0 + count − 1 towards the cache (whole rows: K and V share them).</summary>
    public unsafe void PrefetchRows(int layer, int pos0, int count, int kOffset, int kLen, int vOffset, int vLen)
    {
        if (_half is null || !System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        count = Math.Min(count, NCtx - pos0);
        if (count <= 0) return;
        fixed (Half* rows = &_half[layer][pos0 * Width]) KernelLoop.Prefetch((byte*)rows, count * Width * sizeof(Half));
    }

    /// <summary>dst [Width] ← row (layer, pos) as floats.</summary>
    public void ReadRow(int layer, int pos, Span<float> dst)
    {
        if (_half is null)
        {
            FloatRow(layer, pos).CopyTo(dst);
            return;
        }
        var row = HalfRow(layer, pos);
        for (int i = 0; i < row.Length; i++) dst[i] = (float)row[i];
    }
}
