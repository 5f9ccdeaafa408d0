using DeepSharp.Core.Quant;
using DeepSharp.Sampling;

namespace DeepSharp.Synth;

/// <summary>
/// Fast path for large tensors: a seeded pool of ~1M N(0, σ) values, quantized once per type in segments of one
/// block group, from which each row picks segments at random (seeded per row). Reference k-quantization costs tens of
/// nanoseconds per value, so quantizing all 1.8 billion values of a 1.5B model would take minutes; copying
/// pre-quantized segments takes seconds. Every value is still a quantized N(0, σ) sample and rows are distinct
/// combinations (a 1536-wide row has 4096^6 possibilities), so matrices stay full rank. Small tensors (all tiny
/// presets) never use the pool: they are i.i.d. value by value.
/// </summary>
internal sealed class BlockPool
{
    /// <summary>Tensors with at least this many values use a pool.</summary>
    public const long Threshold = 1L << 20;

    private const int PoolValues = 1 << 20;

    private readonly byte[] _bytes;
    private readonly int _segments;

    private BlockPool(QuantType type, int segmentLength, ulong seed, float std, int threads)
    {
        Type = type;
        SegmentLength = segmentLength;
        SegmentBytes = checked((int)QuantTypeInfo.Get(type).RowBytes(segmentLength));
        _segments = PoolValues / segmentLength;
        _bytes = new byte[checked(_segments * SegmentBytes)];
        var pseudoTensor = new SynthTensor("pool", type, [segmentLength, _segments], WeightKind.Random);
        Parallel.For(0, _segments, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[segmentLength], (s, _, scratch) =>
        {
            WeightGenerator.FillRow(pseudoTensor, -1 - (int)type, s, seed, std, scratch);
            Quantize.Row(type, scratch, _bytes.AsSpan(s * SegmentBytes, SegmentBytes));
            return scratch;
        }, _ => { });
    }

    public QuantType Type { get; }

    public int SegmentLength { get; }

    public int SegmentBytes { get; }

    /// <summary>Whether a tensor is big enough for the pool and its rows split into whole segments.</summary>
    public static bool Applies(SynthTensor t) =>
        t.Kind == WeightKind.Random && t.RowLength * t.RowCount >= Threshold && t.RowLength % SegmentLengthFor(t.Type) == 0;

    /// <summary>One k-quant super-block (256) or 32 values (legacy and float types).</summary>
    public static int SegmentLengthFor(QuantType type) => Math.Max(32, QuantTypeInfo.Get(type).BlockSize);

    public static BlockPool Create(QuantType type, ulong seed, float std, int threads) =>
        new(type, SegmentLengthFor(type), seed, std, threads);

    /// <summary>Fills one row's bytes with segments chosen by a generator seeded from (seed, tensor, row).</summary>
    public void FillRow(ulong rowSeed, Span<byte> dst)
    {
        var rng = new Xoshiro256StarStar(rowSeed);
        for (int offset = 0; offset < dst.Length; offset += SegmentBytes)
        {
            int segment = (int)(rng.NextUInt64() % (ulong)_segments);
            _bytes.AsSpan(segment * SegmentBytes, SegmentBytes).CopyTo(dst.Slice(offset, SegmentBytes));
        }
    }
}
