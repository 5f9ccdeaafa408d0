using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepSharp.Kernels.Float;

namespace DeepSharp.Kernels.Attention;

/// <summary>
/// llama.cpp's one-row f16 flash attention (<see cref="CausalAttention"/>'s decode path) for one query row and one KV
/// group, taken 16 cached positions at a time in three phases, each value keeping its exact operations and order:
/// <list type="number">
/// <item>the scores of the block for up to 8 heads at once, one head per lane (with AVX-512 two positions to a
/// 512-bit vector): every lane runs <see cref="HalfDot.LikeGgml(ReadOnlySpan{float}, ReadOnlySpan{float})"/>'s 64
/// products and its addition tree, with the key's value broadcast and the heads' query values side by side (a head's
/// dot alone was a 64-lane tree reduced to one lane: a quarter of the time at 2048 positions);</item>
/// <item>each head's online-softmax steps over the block, in position order, 8 heads to a vector (the exponentials
/// <c>expf</c>'s, as ggml's, in a loop of their own: <see cref="ExpfVector"/> where it matches the platform's);</item>
/// <item>each head's f16-rounded output accumulator over the block in registers, 64 lanes at a time in eight vectors
/// (two heads' or a head's two halves on 512-bit vectors): the rescaling (where the maximum moved) and the rounded
/// multiply-add per position, instead of a load and a store of the accumulator per position, whose store-to-load
/// chain the old loop waited on.</item>
/// </list>
/// The block's key and value rows are read (widened) in one call each while the next block's are prefetched.
/// Needs head sizes that are multiples of 64 and 256-bit vectors; <see cref="CausalAttention"/> keeps its per-position
/// loop for the rest. Bit-identical to it (the attention tests hold both to the per-head reference).
/// </summary>
internal sealed class FlashDecodeF16
{
    /// <summary>Positions per block.</summary>
    public const int Block = 16;

    private const int HeadLanes = 8, DotStep = 64;
    private readonly int _group, _groupLanes, _headDim, _headDimV;
    private readonly bool _wide = Vector512.IsHardwareAccelerated && KernelIsaSelection.Current == KernelIsa.Avx512;   // 512-bit paths
    private readonly LineAligned<float> _k, _v;         // [Block, headDim], [Block, headDimV]: the block's rows widened
    private readonly LineAligned<float> _queryLanes;    // [groupLanes / 8][headDim][8]: query value d of head 8c + j at (c, d, j)
    private readonly LineAligned<float> _queryPairs;    // [groupLanes / 8][headDim][16]: the same, each value twice (lanes 2j, 2j + 1)
    private readonly LineAligned<float> _keyPairs;      // [Block / 2][headDim][2]: positions 2p and 2p + 1's key value d side by side
    private readonly LineAligned<float> _scores;        // [Block][groupLanes]
    private readonly LineAligned<float> _weights, _rescale;   // [Block][groupLanes]: each position's value weight, and the
                                                    // accumulator's scale before it (1 where the maximum did not move)
    private readonly LineAligned<float> _args;          // [Block][groupLanes]: each exponential's argument, then its value
    private readonly LineAligned<float> _max, _sum;     // [groupLanes]: each head's running maximum and sum
    private readonly LineAligned<float> _acc;           // [group, headDimV]: the accumulators between blocks (this thread's own lines)
    // Every buffer on lines of its own (LineAligned): each thread's are written every block, and as plain arrays
    // allocated one after another the last of one thread and the first of the next shared a cache line (at 2 threads
    // each thread's attention ran ~20% slower, kbench attd); aligned, no 512-bit load straddles two lines.

    public FlashDecodeF16(int group, int headDim, int headDimV)
    {
        (_group, _headDim, _headDimV) = (group, headDim, headDimV);
        _groupLanes = (group + HeadLanes - 1) / HeadLanes * HeadLanes;
        (_k, _v) = (new LineAligned<float>(Block * headDim), new LineAligned<float>(Block * headDimV));
        _queryLanes = new LineAligned<float>(_groupLanes * headDim);
        (_queryPairs, _keyPairs) = (new LineAligned<float>(2 * _groupLanes * headDim), new LineAligned<float>(Block * headDim));
        _scores = new LineAligned<float>(Block * _groupLanes);
        (_weights, _rescale, _args) = (new LineAligned<float>(Block * _groupLanes), new LineAligned<float>(Block * _groupLanes), new LineAligned<float>(Block * _groupLanes));
        (_max, _sum) = (new LineAligned<float>(_groupLanes), new LineAligned<float>(_groupLanes));
        _acc = new LineAligned<float>(group * headDimV);
    }

    /// <summary>Whether this path serves these head sizes on this machine.</summary>
    public static bool Supports(int headDim, int headDimV) =>
        Vector256.IsHardwareAccelerated && headDim % DotStep == 0 && headDimV % DotStep == 0;

    /// <summary>
    /// The group's heads over keys 0..n−1 of KV head <paramref name="g"/>: <paramref name="queries"/> [group, headDim]
    /// rounded to f16; on return <paramref name="output"/> [group, headDimV] holds the unnormalised accumulators, and
    /// <paramref name="sum"/> [group] each head's softmax sum. The accumulators live in this instance's own buffer
    /// until then: the group's rows of the shared output may share a cache line with another thread's group.
    /// </summary>
    public void Run(IKeyValueRows kv, int layer, int g, int n, ReadOnlySpan<float> queries, float scale, Span<float> output, Span<float> sum)
    {
        SpreadQueries(queries);
        _max.Span.Fill(float.NegativeInfinity);
        _sum.Span.Clear();
        _acc.Span.Clear();
        for (int s0 = 0; s0 < n; s0 += Block)
        {
            int m = Math.Min(Block, n - s0);
            // The next block's rows on their way while this one computes: in decode each layer's cache comes from
            // memory, and the rows are too short for the hardware prefetcher to run ahead (kbench attd over 28 layers'
            // caches: B/A 0.80-0.97; two blocks ahead gained nothing more).
            if (s0 + Block < n) kv.PrefetchRows(layer, s0 + Block, Math.Min(Block, n - s0 - Block), g * _headDim, _headDim, g * _headDimV, _headDimV);
            kv.ReadKRows(layer, s0, m, g * _headDim, _k.Span[..(m * _headDim)]);
            kv.ReadVRows(layer, s0, m, g * _headDimV, _v.Span[..(m * _headDimV)]);
            Scores(m, scale);
            for (int c = 0; c < _groupLanes; c += HeadLanes) SoftmaxSteps(c, m);
            if (_wide) AccumulatePairs(m);
            else
                for (int j = 0; j < _group; j++) Accumulate(j, m, _acc.Span.Slice(j * _headDimV, _headDimV));
        }
        _acc.Span.CopyTo(output);
        _sum.Span[.._group].CopyTo(sum);
    }

    /// <summary>
    /// The one-row path's last step: each head's accumulator (consecutive rows of <paramref name="width"/> in
    /// <paramref name="output"/>) times 1 / its softmax sum (0 where the sum is 0), as ggml ends it.
    /// </summary>
    public static void Normalize(Span<float> output, ReadOnlySpan<float> sums, int width)
    {
        for (int j = 0; j < sums.Length; j++)
        {
            float inv = sums[j] == 0 ? 0 : 1f / sums[j];
            var head = output.Slice(j * width, width);
            for (int i = 0; i < head.Length; i++) head[i] *= inv;
        }
    }

    // The queries in the layout the scores read: _queryPairs for ScorePairs (512-bit), _queryLanes for ScoreRows.
    private void SpreadQueries(ReadOnlySpan<float> queries)
    {
        var spread = _wide ? _queryPairs : _queryLanes;
        int copies = _wide ? 2 : 1;
        spread.Span.Clear();
        for (int j = 0; j < _group; j++)
            for (int d = 0; d < _headDim; d++)
            {
                int at = (j / HeadLanes * _headDim + d) * HeadLanes + j % HeadLanes;
                float value = queries[j * _headDim + d];
                for (int c = 0; c < copies; c++) spread[copies * at + c] = value;
            }
    }

    private void Scores(int m, float scale)
    {
        if (_wide) ScorePairs(m, scale);
        else ScoreRows(m, scale);
    }

    [MethodImpl(KernelLoop.Options)]
    private void ScoreRows(int m, float scale)
    {
        var vscale = Vector256.Create(scale);
        ref float k0 = ref _k[0];
        ref float q0 = ref _queryLanes[0];
        for (int c = 0; c < _groupLanes / HeadLanes; c++)
            for (int s = 0; s < m; s++)
            {
                var dots = DotLanes(ref Unsafe.Add(ref k0, s * _headDim), ref Unsafe.Add(ref q0, c * _headDim * HeadLanes), _headDim);
                (dots * vscale).StoreUnsafe(ref _scores[s * _groupLanes + c * HeadLanes]);
            }
    }

    // Two positions to a 512-bit vector: lane 2j holds head j at position s, lane 2j + 1 head j at s + 1 (each
    // key value pair broadcast as one 64-bit lane, each query value twice), so a block takes half the multiply-adds
    // of ScoreRows. Same lanes, same operations; an odd last position m − 1 pairs with the stale row m (m &lt; Block
    // then), whose scores land in row m of the block's buffer and are never read.
    [MethodImpl(KernelLoop.Options)]
    private void ScorePairs(int m, float scale)
    {
        var vscale = Vector512.Create(scale);
        var apart = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);   // position s's lanes, then s + 1's
        PairKeys(m);
        ref float k0 = ref _keyPairs[0];
        ref float q0 = ref _queryPairs[0];
        for (int c = 0; c < _groupLanes / HeadLanes; c++)
            for (int s = 0; s < m; s += 2)
            {
                var dots = DotPairs(ref Unsafe.Add(ref k0, s * _headDim), ref Unsafe.Add(ref q0, c * _headDim * 2 * HeadLanes), _headDim);
                var scores = Avx512F.PermuteVar16x32(dots * vscale, apart);
                scores.GetLower().StoreUnsafe(ref _scores[s * _groupLanes + c * HeadLanes]);
                scores.GetUpper().StoreUnsafe(ref _scores[(s + 1) * _groupLanes + c * HeadLanes]);
            }
    }

    // _keyPairs ← the block's key rows two by two, interleaved value by value.
    private void PairKeys(int m)
    {
        var low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var high = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        ref float k = ref _k[0];
        ref float pairs = ref _keyPairs[0];
        for (int s = 0; s < m; s += 2)
            for (int d = 0; d < _headDim; d += 16)
            {
                var a = Vector512.LoadUnsafe(ref k, (nuint)(s * _headDim + d));
                var b = Vector512.LoadUnsafe(ref k, (nuint)((s + 1) * _headDim + d));
                Avx512F.PermuteVar16x32x2(a, low, b).StoreUnsafe(ref pairs, (nuint)(s * _headDim + 2 * d));
                Avx512F.PermuteVar16x32x2(a, high, b).StoreUnsafe(ref pairs, (nuint)(s * _headDim + 2 * d + 16));
            }
    }

    // DotLanes with 16 lanes: keys k [headDim][2] (two positions), queries q [headDim][16].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> DotPairs(ref float k, ref float q, int headDim)
    {
        var u0 = PairTree(ref k, ref q, headDim, 8) + PairTree(ref k, ref q, headDim, 0);
        var u1 = PairTree(ref k, ref q, headDim, 9) + PairTree(ref k, ref q, headDim, 1);
        var u2 = PairTree(ref k, ref q, headDim, 10) + PairTree(ref k, ref q, headDim, 2);
        var u3 = PairTree(ref k, ref q, headDim, 11) + PairTree(ref k, ref q, headDim, 3);
        var u4 = PairTree(ref k, ref q, headDim, 12) + PairTree(ref k, ref q, headDim, 4);
        var u5 = PairTree(ref k, ref q, headDim, 13) + PairTree(ref k, ref q, headDim, 5);
        var u6 = PairTree(ref k, ref q, headDim, 14) + PairTree(ref k, ref q, headDim, 6);
        var u7 = PairTree(ref k, ref q, headDim, 15) + PairTree(ref k, ref q, headDim, 7);
        var (v0, v1, v2, v3) = (u4 + u0, u5 + u1, u6 + u2, u7 + u3);
        return (v3 + v1) + (v2 + v0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PairTree(ref float k, ref float q, int headDim, int l)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        // The 64-value steps by moving the references: with l a constant, every load has a constant offset.
        for (int at = 0; at < headDim; at += DotStep)
        {
            ref float ks = ref Unsafe.Add(ref k, 2 * at);
            ref float qs = ref Unsafe.Add(ref q, 2 * HeadLanes * at);
            a0 = PairProduct(ref ks, ref qs, l, a0);
            a1 = PairProduct(ref ks, ref qs, l + 16, a1);
            a2 = PairProduct(ref ks, ref qs, l + 32, a2);
            a3 = PairProduct(ref ks, ref qs, l + 48, a3);
        }
        return (a0 + a2) + (a1 + a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> PairProduct(ref float k, ref float q, int d, Vector512<float> acc) =>
        Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.As<float, double>(ref Unsafe.Add(ref k, 2 * d))).AsSingle(),
            Vector512.LoadUnsafe(ref q, (nuint)(d * 2 * HeadLanes)), acc);

    // Lane j ← HalfDot.LikeGgml(k, query of head j): per 64 values, ggml's four 16-lane accumulators a0..a3 hold the
    // products of values 16i + l; then (a0 + a2) + (a1 + a3) per lane l, then lanes l + 8, l + 4, l + 2, l + 1. Here
    // each of those 64 accumulator lanes is a vector over heads, reduced by the same tree.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> DotLanes(ref float k, ref float q, int headDim)
    {
        // ggml's lanes l + 8 then l, in HalfDot's order.
        var u0 = Tree(ref k, ref q, headDim, 8) + Tree(ref k, ref q, headDim, 0);
        var u1 = Tree(ref k, ref q, headDim, 9) + Tree(ref k, ref q, headDim, 1);
        var u2 = Tree(ref k, ref q, headDim, 10) + Tree(ref k, ref q, headDim, 2);
        var u3 = Tree(ref k, ref q, headDim, 11) + Tree(ref k, ref q, headDim, 3);
        var u4 = Tree(ref k, ref q, headDim, 12) + Tree(ref k, ref q, headDim, 4);
        var u5 = Tree(ref k, ref q, headDim, 13) + Tree(ref k, ref q, headDim, 5);
        var u6 = Tree(ref k, ref q, headDim, 14) + Tree(ref k, ref q, headDim, 6);
        var u7 = Tree(ref k, ref q, headDim, 15) + Tree(ref k, ref q, headDim, 7);
        var (v0, v1, v2, v3) = (u4 + u0, u5 + u1, u6 + u2, u7 + u3);
        return (v3 + v1) + (v2 + v0);
    }

    // (a0 + a2) + (a1 + a3) at accumulator lane l, each a_i the fused chain over the 64-value steps of values 16i + l.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tree(ref float k, ref float q, int headDim, int l)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int at = 0; at < headDim; at += DotStep)
        {
            ref float ks = ref Unsafe.Add(ref k, at);
            ref float qs = ref Unsafe.Add(ref q, HeadLanes * at);
            a0 = Product(ref ks, ref qs, l, a0);
            a1 = Product(ref ks, ref qs, l + 16, a1);
            a2 = Product(ref ks, ref qs, l + 32, a2);
            a3 = Product(ref ks, ref qs, l + 48, a3);
        }
        return (a0 + a2) + (a1 + a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Product(ref float k, ref float q, int d, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref k, d)), Vector256.LoadUnsafe(ref q, (nuint)(d * HeadLanes)), acc);

    // The softmax steps of heads c .. c+7 over the block's positions, in order, each lane as the per-position loop
    // takes them: a score above the running maximum M gives the accumulator's scale e^(M−score) and weight 1, any
    // other the weight e^(score−M); S ← S·scale + weight. The comparisons, selections and sums run 8 heads to a
    // vector; the exponentials are expf's (as ggml's), 8 at a time where ExpfVector gives MathF.Exp's bits, else
    // scalar calls, in a loop of their own where no chain of dependent steps waits on them.
    [MethodImpl(KernelLoop.Options)]
    private void SoftmaxSteps(int c, int m)
    {
        int stride = _groupLanes, lanes = Math.Min(HeadLanes, _group - c);
        var start = Vector256.LoadUnsafe(ref _max[c]);
        var max = start;
        for (int s = 0; s < m; s++)
        {
            var score = Vector256.LoadUnsafe(ref _scores[s * stride + c]);
            var above = Vector256.GreaterThan(score, max);
            Vector256.ConditionalSelect(above, max - score, score - max).StoreUnsafe(ref _args[s * stride + c]);
            max = Vector256.ConditionalSelect(above, score, max);
        }
        if (ExpfVector.IsSupported)
            for (int s = 0; s < m; s++) ExpfVector.Apply(ref _args[s * stride + c]);   // padding lanes too: never read
        else
            for (int s = 0; s < m; s++)
                for (int j = 0; j < lanes; j++)
                {
                    ref float arg = ref _args[s * stride + c + j];
                    arg = MathF.Exp(arg);
                }
        // The same comparisons again, from the block's starting maximum, now with each exponential at hand.
        (max, var sum, var one) = (start, Vector256.LoadUnsafe(ref _sum[c]), Vector256<float>.One);
        for (int s = 0; s < m; s++)
        {
            var score = Vector256.LoadUnsafe(ref _scores[s * stride + c]);
            var above = Vector256.GreaterThan(score, max);
            max = Vector256.ConditionalSelect(above, score, max);
            var e = Vector256.LoadUnsafe(ref _args[s * stride + c]);
            var scaleBy = Vector256.ConditionalSelect(above, e, one);
            var weight = Vector256.ConditionalSelect(above, one, e);
            // Scaling by exactly 1 leaves an f16-rounded accumulator as it is, so 1 stands for "not rescaled".
            scaleBy.StoreUnsafe(ref _rescale[s * stride + c]);
            weight.StoreUnsafe(ref _weights[s * stride + c]);
            sum = sum * scaleBy + weight;
        }
        max.StoreUnsafe(ref _max[c]);
        sum.StoreUnsafe(ref _sum[c]);
    }

    // The group's accumulators on 512-bit vectors, 64 lanes of a head at a time, two such lane sets per call (a head's
    // halves where headDimV is 128, two heads' where it is 64): each lane's steps are a dependent chain of four
    // operations per position, so four chains (one set) waited on their latency, where eight keep the units busy.
    private void AccumulatePairs(int m)
    {
        int sets = _group * (_headDimV / 64);
        for (int k = 0; k < sets; k += 2)
        {
            // An odd last set is its own partner: its four chains alone would wait on their latency, so the pair costs
            // about what the set alone would, and no second loop is needed. Both halves then hold the same values.
            int kb = Math.Min(k + 1, sets - 1);
            var (ja, ia, jb, ib) = (64 * k / _headDimV, 64 * k % _headDimV, 64 * kb / _headDimV, 64 * kb % _headDimV);
            int failed = LanePair64(new LaneSet(this, ja, ia), new LaneSet(this, jb, ib), _headDimV, _groupLanes, m);
            if ((failed & 1) != 0) AnyRange(_acc.Span.Slice(ja * _headDimV + ia, 64), ia, ja, m);
            if ((failed & 2) != 0 && kb != k) AnyRange(_acc.Span.Slice(jb * _headDimV + ib, 64), ib, jb, m);
        }
    }
    // Head j's accumulator lanes from i, the value rows' lanes from i, head j's weights and scales (position s at s·groupLanes).
    private readonly ref struct LaneSet(FlashDecodeF16 f, int j, int i)
    {
        public readonly ref float Acc = ref f._acc[j * f._headDimV + i];
        public readonly ref float V = ref f._v[i];
        public readonly ref float Weight = ref f._weights[j];
        public readonly ref float Rescale = ref f._rescale[j];
    }

    // Head j's accumulator on 256-bit vectors, 64 lanes (eight chains) at a time.
    private void Accumulate(int j, int m, Span<float> o)
    {
        ref float w = ref _weights[j];
        ref float r = ref _rescale[j];
        ref float v = ref _v[0];
        ref float acc = ref MemoryMarshal.GetReference(o);
        for (int i = 0; i < _headDimV; i += 64)
            if (!Lanes64On256(ref Unsafe.Add(ref acc, i), ref Unsafe.Add(ref v, i), _headDimV, ref w, ref r, _groupLanes, m)) AnyRange(o.Slice(i, 64), i, j, m);
    }

    // The block's steps on these lanes with HalfVector's general rounding, straight in memory: for the rare block where
    // a value left the normal f16 range (the register loop then stored nothing).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AnyRange(Span<float> acc, int at, int j, int m)
    {
        for (int s = 0; s < m; s++)
        {
            float ms = _rescale[s * _groupLanes + j];
            if (ms != 1f) HalfVector.ScaleRounded(acc, ms);
            HalfVector.FusedAxpyRounded(_v.Span.Slice(s * _headDimV + at, acc.Length), _weights[s * _groupLanes + j], acc);
        }
    }

    // ZeroScale: a scale of 0 (the first position of every call, the maximum moving up from −∞; or an exp that
    // underflowed) leaves ±0, or NaN where the accumulator was infinite or NaN, and rounding to f16 changes none of
    // those (a NaN here was rounded before, so its payload is already cut): multiplied, not rounded or range-checked.
    // Checked, the zeros failed the normal-range test and sent every call's first block to AnyRange.

    // Two sets of 64 accumulator lanes in eight registers over m positions (value rows vStride apart, weights and
    // scales wStride), rounded with the normal-range step only. Returns the sets where a value fell outside that range
    // (bit 0: x, bit 1: y), having stored only the others (see AnyRange): one set's zero crossing (a lane within 2^-14
    // of 0, a few per cent of blocks here) then does not send its partner to AnyRange too. No call inside the loop:
    // one made the JIT keep the accumulators on the stack. Never inlined (KernelLoop.Options): an earlier one-set form,
    // inlined into its caller beside the AnyRange calls, ran 3x slower in some builds.
    [MethodImpl(KernelLoop.Options)]
    private static int LanePair64(LaneSet x, LaneSet y, int vStride, int wStride, int m)
    {
        var (a0, a1, a2, a3) = (Vector512.LoadUnsafe(ref x.Acc), Vector512.LoadUnsafe(ref x.Acc, 16), Vector512.LoadUnsafe(ref x.Acc, 32), Vector512.LoadUnsafe(ref x.Acc, 48));
        var (b0, b1, b2, b3) = (Vector512.LoadUnsafe(ref y.Acc), Vector512.LoadUnsafe(ref y.Acc, 16), Vector512.LoadUnsafe(ref y.Acc, 32), Vector512.LoadUnsafe(ref y.Acc, 48));
        var (worstA, worstB) = (Vector512<uint>.Zero, Vector512<uint>.Zero);
        for (int s = 0; s < m; s++)
        {
            float msa = Unsafe.Add(ref x.Rescale, s * wStride), msb = Unsafe.Add(ref y.Rescale, s * wStride);
            if (msa == 0f)
                (a0, a1, a2, a3) = (a0 * 0f, a1 * 0f, a2 * 0f, a3 * 0f);   // see ZeroScale
            else if (msa != 1f)
            {
                var vms = Vector512.Create(msa);
                a0 = HalfVector.RoundNormal(a0 * vms, ref worstA);
                a1 = HalfVector.RoundNormal(a1 * vms, ref worstA);
                a2 = HalfVector.RoundNormal(a2 * vms, ref worstA);
                a3 = HalfVector.RoundNormal(a3 * vms, ref worstA);
            }
            if (msb == 0f)
                (b0, b1, b2, b3) = (b0 * 0f, b1 * 0f, b2 * 0f, b3 * 0f);
            else if (msb != 1f)
            {
                var vms = Vector512.Create(msb);
                b0 = HalfVector.RoundNormal(b0 * vms, ref worstB);
                b1 = HalfVector.RoundNormal(b1 * vms, ref worstB);
                b2 = HalfVector.RoundNormal(b2 * vms, ref worstB);
                b3 = HalfVector.RoundNormal(b3 * vms, ref worstB);
            }
            var (wa, wb) = (Vector512.Create(Unsafe.Add(ref x.Weight, s * wStride)), Vector512.Create(Unsafe.Add(ref y.Weight, s * wStride)));
            ref float ra = ref Unsafe.Add(ref x.V, s * vStride);
            ref float rb = ref Unsafe.Add(ref y.V, s * vStride);
            a0 = HalfVector.RoundNormal(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ra), wa, a0), ref worstA);
            b0 = HalfVector.RoundNormal(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rb), wb, b0), ref worstB);
            a1 = HalfVector.RoundNormal(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ra, 16), wa, a1), ref worstA);
            b1 = HalfVector.RoundNormal(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rb, 16), wb, b1), ref worstB);
            a2 = HalfVector.RoundNormal(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ra, 32), wa, a2), ref worstA);
            b2 = HalfVector.RoundNormal(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rb, 32), wb, b2), ref worstB);
            a3 = HalfVector.RoundNormal(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref ra, 48), wa, a3), ref worstA);
            b3 = HalfVector.RoundNormal(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rb, 48), wb, b3), ref worstB);
        }
        int failed = 0;
        if (HalfVector.AllNormal(worstA))
        {
            a0.StoreUnsafe(ref x.Acc);
            a1.StoreUnsafe(ref x.Acc, 16);
            a2.StoreUnsafe(ref x.Acc, 32);
            a3.StoreUnsafe(ref x.Acc, 48);
        }
        else failed |= 1;
        if (HalfVector.AllNormal(worstB))
        {
            b0.StoreUnsafe(ref y.Acc);
            b1.StoreUnsafe(ref y.Acc, 16);
            b2.StoreUnsafe(ref y.Acc, 32);
            b3.StoreUnsafe(ref y.Acc, 48);
        }
        else failed |= 2;
        return failed;
    }

    // LanePair64's steps for one set on 256-bit vectors: 64 lanes in eight registers (eight dependent chains); false,
    // having stored nothing, where a value fell outside the normal range.
    [MethodImpl(KernelLoop.Options)]
    private static bool Lanes64On256(ref float acc, ref float v, int vStride, ref float w, ref float rescale, int wStride, int m)
    {
        var (a0, a1, a2, a3) = (Vector256.LoadUnsafe(ref acc), Vector256.LoadUnsafe(ref acc, 8), Vector256.LoadUnsafe(ref acc, 16), Vector256.LoadUnsafe(ref acc, 24));
        var (a4, a5, a6, a7) = (Vector256.LoadUnsafe(ref acc, 32), Vector256.LoadUnsafe(ref acc, 40), Vector256.LoadUnsafe(ref acc, 48), Vector256.LoadUnsafe(ref acc, 56));
        var worst = Vector256<uint>.Zero;
        for (int s = 0; s < m; s++)
        {
            float ms = Unsafe.Add(ref rescale, s * wStride);
            if (ms == 0f)
            {
                (a0, a1, a2, a3) = (a0 * 0f, a1 * 0f, a2 * 0f, a3 * 0f);   // see ZeroScale
                (a4, a5, a6, a7) = (a4 * 0f, a5 * 0f, a6 * 0f, a7 * 0f);
            }
            else if (ms != 1f)
            {
                var vms = Vector256.Create(ms);
                a0 = HalfVector.RoundNormal(a0 * vms, ref worst);
                a1 = HalfVector.RoundNormal(a1 * vms, ref worst);
                a2 = HalfVector.RoundNormal(a2 * vms, ref worst);
                a3 = HalfVector.RoundNormal(a3 * vms, ref worst);
                a4 = HalfVector.RoundNormal(a4 * vms, ref worst);
                a5 = HalfVector.RoundNormal(a5 * vms, ref worst);
                a6 = HalfVector.RoundNormal(a6 * vms, ref worst);
                a7 = HalfVector.RoundNormal(a7 * vms, ref worst);
            }
            var vw = Vector256.Create(Unsafe.Add(ref w, s * wStride));
            ref float row = ref Unsafe.Add(ref v, s * vStride);
            a0 = HalfVector.RoundNormal(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row), vw, a0), ref worst);
            a1 = HalfVector.RoundNormal(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 8), vw, a1), ref worst);
            a2 = HalfVector.RoundNormal(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 16), vw, a2), ref worst);
            a3 = HalfVector.RoundNormal(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 24), vw, a3), ref worst);
            a4 = HalfVector.RoundNormal(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 32), vw, a4), ref worst);
            a5 = HalfVector.RoundNormal(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 40), vw, a5), ref worst);
            a6 = HalfVector.RoundNormal(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 48), vw, a6), ref worst);
            a7 = HalfVector.RoundNormal(Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref row, 56), vw, a7), ref worst);
        }
        if (!HalfVector.AllNormal(worst)) return false;
        a0.StoreUnsafe(ref acc);
        a1.StoreUnsafe(ref acc, 8);
        a2.StoreUnsafe(ref acc, 16);
        a3.StoreUnsafe(ref acc, 24);
        a4.StoreUnsafe(ref acc, 32);
        a5.StoreUnsafe(ref acc, 40);
        a6.StoreUnsafe(ref acc, 48);
        a7.StoreUnsafe(ref acc, 56);
        return true;
    }
}
