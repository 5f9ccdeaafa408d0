using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using DeepSharp.Kernels.Float;

namespace DeepSharp.Kernels.Attention;

/// <summary>Element type of the KV cache (llama.cpp's default is F16).</summary>
public enum KvType { F16, F32, Q8_0 }

/// <summary>
/// Preallocated key/value cache: per layer K [nCtx, kWidth] and V [nCtx, vWidth], kWidth = nHeadKv·headDim.
/// Positions are rows; rewinding is just writing over them again. Q8_0 quantizes each row in 32-value blocks
/// (a head must be a whole number of blocks so heads can be read alone).
/// </summary>
public sealed class KvCache : IKeyValueRows
{
    private readonly RowStore[] _k, _v;

    public KvCache(KvType type, int nLayer, int nCtx, int kWidth, int vWidth, int headDim, int headDimV)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nCtx, 1);
        if (type == KvType.Q8_0 && (headDim % 32 != 0 || headDimV % 32 != 0))
            throw new ArgumentException($"a Q8_0 KV cache needs head sizes that are multiples of 32 (got {headDim}/{headDimV}); use F16", nameof(type));
        (Type, NLayer, NCtx, KWidth, VWidth) = (type, nLayer, nCtx, kWidth, vWidth);
        _k = new RowStore[nLayer];
        _v = new RowStore[nLayer];
        for (int l = 0; l < nLayer; l++)
        {
            _k[l] = RowStore.Create(type, nCtx, kWidth);
            _v[l] = RowStore.Create(type, nCtx, vWidth);
        }
    }

    public KvType Type { get; }
    public int NLayer { get; }
    public int NCtx { get; }
    public int KWidth { get; }
    public int VWidth { get; }

    /// <summary>Bytes held by the cache.</summary>
    public long ByteSize => (long)NLayer * NCtx * (RowStore.BytesPerRow(Type, KWidth) + RowStore.BytesPerRow(Type, VWidth));

    /// <summary>K[layer][pos] ← k [kWidth]; V[layer][pos] ← v [vWidth].</summary>
    public void Store(int layer, int pos, ReadOnlySpan<float> k, ReadOnlySpan<float> v)
    {
        _k[layer].Write(pos, k);
        _v[layer].Write(pos, v);
    }

    /// <summary>dst [len] ← K[layer][pos][offset ..] as floats (exact for F16 and F32 caches).</summary>
    public void ReadK(int layer, int pos, int offset, Span<float> dst) => _k[layer].Read(pos, offset, dst);

    /// <summary>dst [len] ← V[layer][pos][offset ..] as floats.</summary>
    public void ReadV(int layer, int pos, int offset, Span<float> dst) => _v[layer].Read(pos, offset, dst);

    /// <summary>
    /// dst [count, len] ← K[layer][pos0 .. pos0 + count)[offset .. offset + len] as floats, len = dst.Length / count:
    /// a block of positions in one call instead of one (virtual) call per row, for the f16 decode attention's blocks.
    /// </summary>
    public void ReadKRows(int layer, int pos0, int count, int offset, Span<float> dst) => _k[layer].ReadRows(pos0, count, offset, dst);

    /// <summary>As <see cref="ReadKRows"/> for V.</summary>
    public void ReadVRows(int layer, int pos0, int count, int offset, Span<float> dst) => _v[layer].ReadRows(pos0, count, offset, dst);

    /// <summary>
    /// Asks for K and V[layer][pos0 .. pos0 + count)[offset .. offset + len] to be brought into cache ahead of their
    /// reads: a hint (F16 rows only; elsewhere nothing), never a fault.
    /// </summary>
    public void PrefetchRows(int layer, int pos0, int count, int kOffset, int kLen, int vOffset, int vLen)
    {
        _k[layer].Prefetch(pos0, count, kOffset, kLen);
        _v[layer].Prefetch(pos0, count, vOffset, vLen);
    }

    /// <summary>q [len] · K[layer][pos][offset .. offset+len].</summary>
    public float DotK(int layer, int pos, int offset, ReadOnlySpan<float> q) => _k[layer].Dot(pos, offset, q);

    /// <summary>acc [len] += w · V[layer][pos][offset .. offset+len].</summary>
    public void AccumulateV(int layer, int pos, int offset, float w, Span<float> acc) => _v[layer].Axpy(pos, offset, w, acc);

    /// <summary>acc [len] ← f16(acc + w · V[layer][pos][offset ..]) per element: llama.cpp's F16 flash-attention accumulator.</summary>
    public void AccumulateVHalf(int layer, int pos, int offset, float w, Span<float> acc) => _v[layer].AxpyHalf(pos, offset, w, acc);

    private abstract class RowStore
    {
        public static RowStore Create(KvType t, int rows, int width) => t switch
        {
            KvType.F32 => new F32Rows(rows, width),
            KvType.F16 => new F16Rows(rows, width),
            _ => new Q8Rows(rows, width),
        };

        public static long BytesPerRow(KvType t, int width) => t switch
        {
            KvType.F32 => 4L * width,
            KvType.F16 => 2L * width,
            _ => width / 32 * 34L,
        };

        public abstract void Write(int pos, ReadOnlySpan<float> row);
        public abstract float Dot(int pos, int offset, ReadOnlySpan<float> q);
        public abstract void Axpy(int pos, int offset, float w, Span<float> acc);
        public abstract void Read(int pos, int offset, Span<float> dst);

        public virtual void Prefetch(int pos0, int count, int offset, int len) { }

        public virtual void ReadRows(int pos0, int count, int offset, Span<float> dst)
        {
            int len = dst.Length / count;
            for (int r = 0; r < count; r++) Read(pos0 + r, offset, dst.Slice(r * len, len));
        }

        public virtual void AxpyHalf(int pos, int offset, float w, Span<float> acc)
        {
            Axpy(pos, offset, w, acc);
            for (int i = 0; i < acc.Length; i++) acc[i] = (float)(Half)acc[i];
        }
    }

    private sealed class F32Rows(int rows, int width) : RowStore
    {
        private readonly float[] _data = new float[(long)rows * width];
        public override void Write(int pos, ReadOnlySpan<float> row) => row.CopyTo(_data.AsSpan(pos * width, width));
        public override float Dot(int pos, int offset, ReadOnlySpan<float> q) =>
            FloatKernels.Dot(_data.AsSpan(pos * width + offset, q.Length), q);
        public override void Axpy(int pos, int offset, float w, Span<float> acc) =>
            FloatKernels.Axpy(w, _data.AsSpan(pos * width + offset, acc.Length), acc);
        public override void Read(int pos, int offset, Span<float> dst) => _data.AsSpan(pos * width + offset, dst.Length).CopyTo(dst);
    }

    private sealed class F16Rows(int rows, int width) : RowStore
    {
        // Rows on aligned lines: a head's slice of a row (128 or 256 bytes here) then covers whole lines, and reading it
        // takes no load that straddles two.
        private readonly LineAligned<Half> _data = new(checked(rows * width));

        public override void Write(int pos, ReadOnlySpan<float> row)
        {
            var dst = _data.Span.Slice(pos * width, width);
            for (int i = 0; i < dst.Length; i++) dst[i] = (Half)row[i];
        }

        public override float Dot(int pos, int offset, ReadOnlySpan<float> q) =>
            HalfDot.LikeGgml(_data.Span.Slice(pos * width + offset, q.Length), q);

        public override void Axpy(int pos, int offset, float w, Span<float> acc)
        {
            var src = _data.Span.Slice(pos * width + offset, acc.Length);
            for (int i = 0; i < src.Length; i++) acc[i] += w * (float)src[i];
        }

        public override void AxpyHalf(int pos, int offset, float w, Span<float> acc)
        {
            HalfVector.FusedAxpyRounded(_data.Span.Slice(pos * width + offset, acc.Length), w, acc);
        }

        public override void Read(int pos, int offset, Span<float> dst) => HalfVector.Widen(_data.Span.Slice(pos * width + offset, dst.Length), dst);

        public override void ReadRows(int pos0, int count, int offset, Span<float> dst)
        {
            int len = dst.Length / count;
            HalfVector.WidenRows(_data.Span[((pos0 * width) + offset)..], width, count, len, dst);
        }

        public override unsafe void Prefetch(int pos0, int count, int offset, int len)
        {
            if (!Sse.IsSupported) return;
            count = Math.Min(count, rows - pos0);
            ref Half first = ref _data[0];   // pinned
            for (int r = 0; r < count; r++)
            {
                byte* row = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref first, (nint)(pos0 + r) * width + offset));
                for (int b = 0; b < 2 * len; b += 64) Sse.Prefetch0(row + b);
            }
        }
    }

    // Per 32 values: f32 scale (kept as the f16 value ggml would store) + 32 int8.
    private sealed class Q8Rows(int rows, int width) : RowStore
    {
        private readonly sbyte[] _q = new sbyte[(long)rows * width];
        private readonly float[] _d = new float[(long)rows * width / 32];

        public override void Write(int pos, ReadOnlySpan<float> row)
        {
            for (int b = 0; b < width / 32; b++)
            {
                var x = row.Slice(b * 32, 32);
                float amax = 0;
                foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
                float d = amax / 127f, inv = d != 0 ? 1f / d : 0f;
                _d[pos * (width / 32) + b] = (float)(Half)d;
                var q = _q.AsSpan(pos * width + b * 32, 32);
                for (int j = 0; j < 32; j++) q[j] = (sbyte)MathF.Round(x[j] * inv, MidpointRounding.AwayFromZero);
            }
        }

        public override float Dot(int pos, int offset, ReadOnlySpan<float> q)
        {
            float sum = 0;
            for (int b = 0; b < q.Length; b += 32)
            {
                var qs = _q.AsSpan(pos * width + offset + b, 32);
                float part = 0;
                for (int j = 0; j < 32; j++) part += qs[j] * q[b + j];
                sum += part * _d[(pos * width + offset + b) / 32];
            }
            return sum;
        }

        public override void Read(int pos, int offset, Span<float> dst)
        {
            dst.Clear();
            Axpy(pos, offset, 1f, dst);
        }

        public override void Axpy(int pos, int offset, float w, Span<float> acc)
        {
            for (int b = 0; b < acc.Length; b += 32)
            {
                var qs = _q.AsSpan(pos * width + offset + b, 32);
                float s = w * _d[(pos * width + offset + b) / 32];
                for (int j = 0; j < 32; j++) acc[b + j] += s * qs[j];
            }
        }
    }
}
