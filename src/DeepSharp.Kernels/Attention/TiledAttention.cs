using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels.Attention;

/// <summary>Cached key and value rows read as floats: a GQA <see cref="KvCache"/> or MLA's <see cref="LatentKvCache"/>.</summary>
internal interface IKeyValueRows
{
    /// <summary>dst ← K[layer][pos][offset .. offset + dst.Length] as floats.</summary>
    void ReadK(int layer, int pos, int offset, Span<float> dst);

    /// <summary>dst ← V[layer][pos][offset .. offset + dst.Length] as floats.</summary>
    void ReadV(int layer, int pos, int offset, Span<float> dst);

    /// <summary>dst [count, dst.Length / count] ← K[layer][pos0 + r][offset ..] as floats, r &lt; count.</summary>
    void ReadKRows(int layer, int pos0, int count, int offset, Span<float> dst);

    /// <summary>As <see cref="ReadKRows"/> for V.</summary>
    void ReadVRows(int layer, int pos0, int count, int offset, Span<float> dst);

    /// <summary>A hint that these rows' K and V parts are read next (never a fault; may do nothing).</summary>
    void PrefetchRows(int layer, int pos0, int count, int kOffset, int kLen, int vOffset, int vLen);
}

/// <summary>
/// Causal attention over an F16 cache for many query rows at once, the way llama.cpp's tiled CPU flash attention
/// (its path from <see cref="MinTokens"/> query rows) computes it: queries in f32, cached keys and values widened to
/// f32 one tile of <see cref="KvTile"/> positions at a time, the tile's scores by a small matrix product, an online
/// softmax per tile in f32 and f32 output accumulators. One work item is up to <see cref="QTile"/> tokens × every
/// query head of one KV group, so each widened key and value row serves QTile·groupSize query rows (all of a
/// token's heads for MLA, whose one latent row is every head's key and value).
/// </summary>
/// <remarks>
/// Every score is one fused multiply-add chain over the head dimension in order, every output lane one chain over the
/// tile's positions in order: <see cref="TiledAttentionReference"/> takes the same steps one element at a time.
/// </remarks>
[SkipLocalsInit]
internal sealed class TiledAttention
{
    public const int QTile = 32, KvTile = 64, MinTokens = 64;

    private readonly int _nHead, _group, _headDim, _headDimV;
    private readonly bool _wide = KernelIsaSelection.Current == KernelIsa.Avx512;   // the products on 512-bit vectors
    private readonly bool _transposedSums = KernelIsaSelection.Current >= KernelIsa.Avx2;
    private readonly float[][] _keysT, _values, _scores, _max, _sum;

    public TiledAttention(int threads, int nHead, int group, int headDim, int headDimV)
    {
        (_nHead, _group, _headDim, _headDimV) = (nHead, group, headDim, headDimV);
        int rows = QTile * group;
        (_keysT, _values, _scores) = (new float[threads][], new float[threads][], new float[threads][]);
        (_max, _sum) = (new float[threads][], new float[threads][]);
        for (int i = 0; i < threads; i++)
        {
            (_keysT[i], _values[i], _scores[i]) = (new float[headDim * KvTile], new float[KvTile * headDimV], new float[rows * KvTile]);
            (_max[i], _sum[i]) = (new float[rows], new float[rows]);
        }
    }

    /// <summary>Whether the tiled path takes these heads (value rows are summed 8 lanes at a time).</summary>
    public static bool Supports(int headDimV) => headDimV % 8 == 0;

    /// <summary>Work items for <paramref name="nTok"/> query tokens over <paramref name="nKv"/> KV groups: one per (tile of tokens, group).</summary>
    public static int Items(int nTok, int nKv) => (nTok + QTile - 1) / QTile * nKv;

    /// <summary>
    /// Work item <paramref name="item"/> of <see cref="Items"/>: last tiles first (they see the most positions, so the
    /// pool's later items even out the threads), then <see cref="Run"/> on that tile and group.
    /// </summary>
    public void RunItem(int worker, IKeyValueRows kv, int layer, float[] q, float[] output, float scale, int pos0, int nTok, int nKv, int item)
    {
        int tiles = (nTok + QTile - 1) / QTile, t0 = (tiles - 1 - item / nKv) * QTile;
        Run(worker, kv, layer, q, output, scale, pos0, t0, Math.Min(t0 + QTile, nTok), item % nKv);
    }

    /// <summary>
    /// output rows of tokens [t0, t1) × the query heads of KV group g ← their attention over positions ≤ pos0 + t,
    /// scores scaled by <paramref name="scale"/>; q [nTok, nHead·headDim], output [nTok, nHead·headDimV].
    /// </summary>
    public void Run(int worker, IKeyValueRows kv, int layer, float[] q, float[] output, float scale, int pos0, int t0, int t1, int g)
    {
        int rows = (t1 - t0) * _group, nKeys = pos0 + t1;
        float[] keysT = _keysT[worker], values = _values[worker], scores = _scores[worker], max = _max[worker], sum = _sum[worker];
        max.AsSpan(0, rows).Fill(float.NegativeInfinity);
        sum.AsSpan(0, rows).Clear();
        for (int r = 0; r < rows; r++) OutputRow(output, t0, g, r).Clear();
        for (int k0 = 0; k0 < nKeys; k0 += KvTile)
        {
            int nk = Math.Min(KvTile, nKeys - k0);
            LoadKeysTransposed(kv, layer, g, k0, nk, keysT);
            Scores(q, t0, g, rows, keysT, scores);
            for (int r = 0; r < rows; r++)
                SoftmaxExps(scores.AsSpan(r * KvTile, KvTile), k0, nk, pos0 + t0 + r / _group, ref max[r], ref sum[r], OutputRow(output, t0, g, r), scale);
            AddRowSums(scores, rows, sum, _transposedSums);
            LoadValues(kv, layer, g, k0, nk, values);
            Accumulate(scores, rows, values, nk, output, t0, g);
        }
        for (int r = 0; r < rows; r++)
        {
            Scale(OutputRow(output, t0, g, r), sum[r] == 0 ? 0 : 1f / sum[r]);
        }
    }

    /// <summary>
    /// One row's step over a key tile: scale, causal mask (positions past <paramref name="lastVisible"/> and past the
    /// tile's <paramref name="nk"/> keys), then the online softmax update: the running max, the output row rescaled
    /// when it grows, the scores replaced by e^(s − max) and their sum added.
    /// </summary>
    internal static void SoftmaxStep(Span<float> s, int k0, int nk, int lastVisible, ref float max, ref float sum, Span<float> o, float scale)
    {
        if (SoftmaxExps(s, k0, nk, lastVisible, ref max, ref sum, o, scale)) sum += (float)RowSum(s);
    }

    /// <summary>
    /// <see cref="SoftmaxStep"/> but the tile's sum: false (and s cleared) when none of its positions is visible.
    /// Adding a cleared row's sum, 0, leaves the running sum as it is, so callers may add every row's.
    /// </summary>
    internal static bool SoftmaxExps(Span<float> s, int k0, int nk, int lastVisible, ref float max, ref float sum, Span<float> o, float scale)
    {
        int visible = Math.Clamp(lastVisible - k0 + 1, 0, nk);
        float tileMax = ScaleAndMask(s, visible, scale);
        if (tileMax == float.NegativeInfinity)
        {
            s.Clear();
            return false;
        }
        float newMax = MathF.Max(max, tileMax);
        if (newMax > max)
        {
            float ms = Exp(max - newMax);
            Scale(o, ms);
            sum *= ms;
        }
        max = newMax;
        ExpShifted(s, newMax);
        return true;
    }

    /// <summary>Σ s[j] in double, j in order (as ggml sums a row).</summary>
    internal static double RowSum(ReadOnlySpan<float> s)
    {
        double total = 0;
        for (int j = 0; j < s.Length; j++) total += s[j];
        return total;
    }

    // sum[r] += (float) RowSum(score row r) for every row of the tile (stride KvTile). Transposed (AVX), 8 rows at a
    // time: each lane of a 4-double vector is one row's sum taking the row's values in order (4×4 transposes), so the
    // rows' sequential additions overlap instead of running one long dependency chain after another; the same sums.
    internal static void AddRowSums(float[] scores, int rows, float[] sum, bool transposed)
    {
        ref float s = ref MemoryMarshal.GetArrayDataReference(scores);
        int r = 0;
        for (; r + 8 <= rows && transposed; r += 8)
        {
            var (a, b) = RowSums8(ref Unsafe.Add(ref s, r * KvTile));
            for (int k = 0; k < 4; k++) (sum[r + k], sum[r + 4 + k]) = (sum[r + k] + (float)a[k], sum[r + 4 + k] + (float)b[k]);
        }
        for (; r < rows; r++) sum[r] += (float)RowSum(scores.AsSpan(r * KvTile, KvTile));
    }

    // The double sums of rows 0–3 and 4–7 (stride KvTile) from s.
    private static (Vector256<double>, Vector256<double>) RowSums8(ref float s)
    {
        Vector256<double> a = default, b = default;
        for (int j = 0; j < KvTile; j += 4)
        {
            a = AddColumns(a, ref Unsafe.Add(ref s, j));
            b = AddColumns(b, ref Unsafe.Add(ref s, 4 * KvTile + j));
        }
        return (a, b);
    }

    // acc (lane k: row k) += values j .. j + 3 of rows 0–3 at p, one column after another.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> AddColumns(Vector256<double> acc, ref float p)
    {
        var r0 = Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref p));
        var r1 = Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref p, KvTile));
        var r2 = Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref p, 2 * KvTile));
        var r3 = Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref p, 3 * KvTile));
        var (t0, t1) = (Avx.UnpackLow(r0, r1), Avx.UnpackHigh(r0, r1));   // [r0 j0, r1 j0, r0 j2, r1 j2], [.. j1, .. j3]
        var (t2, t3) = (Avx.UnpackLow(r2, r3), Avx.UnpackHigh(r2, r3));
        acc += Avx.Permute2x128(t0, t2, 0x20);   // column j
        acc += Avx.Permute2x128(t1, t3, 0x20);   // j + 1
        acc += Avx.Permute2x128(t0, t2, 0x31);   // j + 2
        return acc + Avx.Permute2x128(t1, t3, 0x31);   // j + 3
    }

    /// <summary>
    /// s[j] ← s[j]·scale for j &lt; visible, −∞ after; returns the largest of the visible ones (−∞ if none, NaN if one
    /// is NaN), 8 lanes at a time (s.Length is a multiple of 8). Vector256.Max is IEEE 754's maximum, as MathF.Max:
    /// it keeps a NaN from either side and puts +0 above −0, so the order of the comparisons does not matter.
    /// </summary>
    private static float ScaleAndMask(Span<float> s, int visible, float scale)
    {
        ref float p = ref MemoryMarshal.GetReference(s);
        var (factor, hidden, lane) = (Vector256.Create(scale), Vector256.Create(float.NegativeInfinity), Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7));
        var (max, limit) = (hidden, Vector256.Create(visible));
        for (int j = 0; j < s.Length; j += 8)
        {
            var shown = Vector256.LessThan(lane + Vector256.Create(j), limit).AsSingle();
            var v = Vector256.ConditionalSelect(shown, Vector256.LoadUnsafe(ref p, (nuint)j) * factor, hidden);
            v.StoreUnsafe(ref p, (nuint)j);
            max = Vector256.Max(max, v);
        }
        float m = float.NegativeInfinity;
        for (int i = 0; i < 8; i++) m = MathF.Max(m, max[i]);
        return m;
    }

    // o ← o·factor, element by element.
    private static void Scale(Span<float> o, float factor)
    {
        ref float p = ref MemoryMarshal.GetReference(o);
        int i = 0;
        for (; i + 8 <= o.Length; i += 8) (Vector256.LoadUnsafe(ref p, (nuint)i) * factor).StoreUnsafe(ref p, (nuint)i);
        for (; i < o.Length; i++) o[i] *= factor;
    }

    /// <summary>e^x as the vector exponential computes it (the tiled kernel and its reference share it).</summary>
    internal static float Exp(float x) => Vector256.Exp(Vector256.Create(x)).ToScalar();

    // s[j] ← e^(s[j] − m), 8 lanes at a time (masked −∞ lanes give 0).
    private static void ExpShifted(Span<float> s, float m)
    {
        ref float p = ref MemoryMarshal.GetReference(s);
        var shift = Vector256.Create(m);
        for (int j = 0; j + 8 <= s.Length; j += 8)
            Vector256.Exp(Vector256.LoadUnsafe(ref p, (nuint)j) - shift).StoreUnsafe(ref p, (nuint)j);
    }

    // keysT [d·KvTile + j] ← key k0 + j of group g, zero past nk.
    private void LoadKeysTransposed(IKeyValueRows kv, int layer, int g, int k0, int nk, float[] keysT)
    {
        Span<float> row = _headDim <= 1024 ? stackalloc float[_headDim] : new float[_headDim];
        for (int j = 0; j < KvTile; j++)
        {
            if (j < nk) kv.ReadK(layer, k0 + j, g * _headDim, row);
            else row.Clear();
            for (int d = 0; d < _headDim; d++) keysT[d * KvTile + j] = row[d];
        }
    }

    private void LoadValues(IKeyValueRows kv, int layer, int g, int k0, int nk, float[] values)
    {
        for (int j = 0; j < nk; j++) kv.ReadV(layer, k0 + j, g * _headDimV, values.AsSpan(j * _headDimV, _headDimV));
    }

    private Span<float> OutputRow(float[] output, int t0, int g, int r) =>
        output.AsSpan(RowIndex(t0, g, r) * _headDimV, _headDimV);

    // Row r of a tile is token t0 + r / group, head g·group + r % group.
    private int RowIndex(int t0, int g, int r) => (t0 + r / _group) * _nHead + g * _group + r % _group;

    private void Scores(float[] q, int t0, int g, int rows, float[] keysT, float[] scores)
    {
        ref float kt = ref MemoryMarshal.GetArrayDataReference(keysT);
        ref float qs = ref MemoryMarshal.GetArrayDataReference(q);
        ref float s = ref MemoryMarshal.GetArrayDataReference(scores);
        int r = 0;
        for (; r + 4 <= rows && _wide; r += 4)
            TiledAttentionAvx512.Scores4x64(ref kt, _headDim,
                ref Unsafe.Add(ref qs, RowIndex(t0, g, r) * _headDim), ref Unsafe.Add(ref qs, RowIndex(t0, g, r + 1) * _headDim),
                ref Unsafe.Add(ref qs, RowIndex(t0, g, r + 2) * _headDim), ref Unsafe.Add(ref qs, RowIndex(t0, g, r + 3) * _headDim),
                ref Unsafe.Add(ref s, r * KvTile));
        for (; r + 4 <= rows; r += 4)
            for (int half = 0; half < KvTile; half += 32)
                Scores4x32(ref Unsafe.Add(ref kt, half), _headDim,
                    ref Unsafe.Add(ref qs, RowIndex(t0, g, r) * _headDim), ref Unsafe.Add(ref qs, RowIndex(t0, g, r + 1) * _headDim),
                    ref Unsafe.Add(ref qs, RowIndex(t0, g, r + 2) * _headDim), ref Unsafe.Add(ref qs, RowIndex(t0, g, r + 3) * _headDim),
                    ref Unsafe.Add(ref s, r * KvTile + half));
        for (; r < rows; r++)
            Scores1x64(ref kt, _headDim, ref Unsafe.Add(ref qs, RowIndex(t0, g, r) * _headDim), ref Unsafe.Add(ref s, r * KvTile));
    }

    // s [4 rows, stride KvTile] [0..32) ← q_r · the 32 keys starting at kt (columns of keysT).
    private static void Scores4x32(ref float kt, int d, ref float q0, ref float q1, ref float q2, ref float q3, ref float s)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int i = 0; i < d; i++)
        {
            ref float k = ref Unsafe.Add(ref kt, i * KvTile);
            var k0 = Vector256.LoadUnsafe(ref k);
            var k1 = Vector256.LoadUnsafe(ref k, 8);
            var k2 = Vector256.LoadUnsafe(ref k, 16);
            var k3 = Vector256.LoadUnsafe(ref k, 24);
            var b = Vector256.Create(Unsafe.Add(ref q0, i));
            (a00, a01, a02, a03) = (Fma(b, k0, a00), Fma(b, k1, a01), Fma(b, k2, a02), Fma(b, k3, a03));
            b = Vector256.Create(Unsafe.Add(ref q1, i));
            (a10, a11, a12, a13) = (Fma(b, k0, a10), Fma(b, k1, a11), Fma(b, k2, a12), Fma(b, k3, a13));
            b = Vector256.Create(Unsafe.Add(ref q2, i));
            (a20, a21, a22, a23) = (Fma(b, k0, a20), Fma(b, k1, a21), Fma(b, k2, a22), Fma(b, k3, a23));
            b = Vector256.Create(Unsafe.Add(ref q3, i));
            (a30, a31, a32, a33) = (Fma(b, k0, a30), Fma(b, k1, a31), Fma(b, k2, a32), Fma(b, k3, a33));
        }
        Store4(ref s, a00, a01, a02, a03);
        Store4(ref Unsafe.Add(ref s, KvTile), a10, a11, a12, a13);
        Store4(ref Unsafe.Add(ref s, 2 * KvTile), a20, a21, a22, a23);
        Store4(ref Unsafe.Add(ref s, 3 * KvTile), a30, a31, a32, a33);
    }

    private static void Scores1x64(ref float kt, int d, ref float q, ref float s)
    {
        for (int half = 0; half < KvTile; half += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < d; i++)
            {
                ref float k = ref Unsafe.Add(ref kt, i * KvTile + half);
                var b = Vector256.Create(Unsafe.Add(ref q, i));
                a0 = Fma(b, Vector256.LoadUnsafe(ref k), a0);
                a1 = Fma(b, Vector256.LoadUnsafe(ref k, 8), a1);
                a2 = Fma(b, Vector256.LoadUnsafe(ref k, 16), a2);
                a3 = Fma(b, Vector256.LoadUnsafe(ref k, 24), a3);
            }
            Store4(ref Unsafe.Add(ref s, half), a0, a1, a2, a3);
        }
    }

    // output rows += Σ_j p[r, j] · values[j] over the tile's nk positions.
    private void Accumulate(float[] scores, int rows, float[] values, int nk, float[] output, int t0, int g)
    {
        ref float p = ref MemoryMarshal.GetArrayDataReference(scores);
        ref float v = ref MemoryMarshal.GetArrayDataReference(values);
        ref float o = ref MemoryMarshal.GetArrayDataReference(output);
        int dv = _headDimV, r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            ref float o0 = ref Unsafe.Add(ref o, RowIndex(t0, g, r) * dv);
            ref float o1 = ref Unsafe.Add(ref o, RowIndex(t0, g, r + 1) * dv);
            ref float o2 = ref Unsafe.Add(ref o, RowIndex(t0, g, r + 2) * dv);
            ref float o3 = ref Unsafe.Add(ref o, RowIndex(t0, g, r + 3) * dv);
            ref float p0 = ref Unsafe.Add(ref p, r * KvTile);
            int c = 0;
            for (; c + 64 <= dv && _wide; c += 64)
                TiledAttentionAvx512.Accumulate4x64(ref p0, ref Unsafe.Add(ref v, c), dv, nk,
                    ref Unsafe.Add(ref o0, c), ref Unsafe.Add(ref o1, c), ref Unsafe.Add(ref o2, c), ref Unsafe.Add(ref o3, c));
            for (; c + 32 <= dv; c += 32)
                Accumulate4x32(ref p0, ref Unsafe.Add(ref v, c), dv, nk,
                    ref Unsafe.Add(ref o0, c), ref Unsafe.Add(ref o1, c), ref Unsafe.Add(ref o2, c), ref Unsafe.Add(ref o3, c));
            for (; c < dv; c += 8)
                Accumulate4x8(ref p0, ref Unsafe.Add(ref v, c), dv, nk,
                    ref Unsafe.Add(ref o0, c), ref Unsafe.Add(ref o1, c), ref Unsafe.Add(ref o2, c), ref Unsafe.Add(ref o3, c));
        }
        for (; r < rows; r++)
        {
            ref float or = ref Unsafe.Add(ref o, RowIndex(t0, g, r) * dv);
            ref float pr = ref Unsafe.Add(ref p, r * KvTile);
            for (int c = 0; c < dv; c += 8)
            {
                var acc = Vector256.LoadUnsafe(ref or, (nuint)c);
                for (int j = 0; j < nk; j++)
                    acc = Fma(Vector256.Create(Unsafe.Add(ref pr, j)), Vector256.LoadUnsafe(ref v, (nuint)(j * dv + c)), acc);
                acc.StoreUnsafe(ref or, (nuint)c);
            }
        }
    }

    // 32 lanes of 4 output rows (score rows at p, stride KvTile) += Σ_j p[r, j] · v[j·dv ..].
    private static void Accumulate4x32(ref float p, ref float v, int dv, int nk, ref float o0, ref float o1, ref float o2, ref float o3)
    {
        var (a00, a01, a02, a03) = Load4(ref o0);
        var (a10, a11, a12, a13) = Load4(ref o1);
        var (a20, a21, a22, a23) = Load4(ref o2);
        var (a30, a31, a32, a33) = Load4(ref o3);
        for (int j = 0; j < nk; j++)
        {
            ref float vj = ref Unsafe.Add(ref v, j * dv);
            var v0 = Vector256.LoadUnsafe(ref vj);
            var v1 = Vector256.LoadUnsafe(ref vj, 8);
            var v2 = Vector256.LoadUnsafe(ref vj, 16);
            var v3 = Vector256.LoadUnsafe(ref vj, 24);
            var b = Vector256.Create(Unsafe.Add(ref p, j));
            (a00, a01, a02, a03) = (Fma(b, v0, a00), Fma(b, v1, a01), Fma(b, v2, a02), Fma(b, v3, a03));
            b = Vector256.Create(Unsafe.Add(ref p, KvTile + j));
            (a10, a11, a12, a13) = (Fma(b, v0, a10), Fma(b, v1, a11), Fma(b, v2, a12), Fma(b, v3, a13));
            b = Vector256.Create(Unsafe.Add(ref p, 2 * KvTile + j));
            (a20, a21, a22, a23) = (Fma(b, v0, a20), Fma(b, v1, a21), Fma(b, v2, a22), Fma(b, v3, a23));
            b = Vector256.Create(Unsafe.Add(ref p, 3 * KvTile + j));
            (a30, a31, a32, a33) = (Fma(b, v0, a30), Fma(b, v1, a31), Fma(b, v2, a32), Fma(b, v3, a33));
        }
        Store4(ref o0, a00, a01, a02, a03);
        Store4(ref o1, a10, a11, a12, a13);
        Store4(ref o2, a20, a21, a22, a23);
        Store4(ref o3, a30, a31, a32, a33);
    }

    private static void Accumulate4x8(ref float p, ref float v, int dv, int nk, ref float o0, ref float o1, ref float o2, ref float o3)
    {
        var a0 = Vector256.LoadUnsafe(ref o0);
        var a1 = Vector256.LoadUnsafe(ref o1);
        var a2 = Vector256.LoadUnsafe(ref o2);
        var a3 = Vector256.LoadUnsafe(ref o3);
        for (int j = 0; j < nk; j++)
        {
            var vj = Vector256.LoadUnsafe(ref v, (nuint)(j * dv));
            a0 = Fma(Vector256.Create(Unsafe.Add(ref p, j)), vj, a0);
            a1 = Fma(Vector256.Create(Unsafe.Add(ref p, KvTile + j)), vj, a1);
            a2 = Fma(Vector256.Create(Unsafe.Add(ref p, 2 * KvTile + j)), vj, a2);
            a3 = Fma(Vector256.Create(Unsafe.Add(ref p, 3 * KvTile + j)), vj, a3);
        }
        a0.StoreUnsafe(ref o0);
        a1.StoreUnsafe(ref o1);
        a2.StoreUnsafe(ref o2);
        a3.StoreUnsafe(ref o3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Load4(ref float p) =>
        (Vector256.LoadUnsafe(ref p), Vector256.LoadUnsafe(ref p, 8), Vector256.LoadUnsafe(ref p, 16), Vector256.LoadUnsafe(ref p, 24));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(ref float p, Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        a.StoreUnsafe(ref p);
        b.StoreUnsafe(ref p, 8);
        c.StoreUnsafe(ref p, 16);
        d.StoreUnsafe(ref p, 24);
    }
}
