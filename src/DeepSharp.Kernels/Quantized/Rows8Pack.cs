using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DeepSharp.Core.Quant;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// A Q4_0 or Q4_K matrix that llama.cpp repacks (<see cref="IntegerDot.LlamaRepacks"/>), or a Q8_0 or Q5_0 matrix, rebuilt
/// once, at load, as groups of 8 interleaved rows — the same idea as llama.cpp's block_q4_Kx8 / block_q4_0x8, in a
/// layout chosen for <see cref="PackedRows8"/>: the quants ordered so that one 64-byte load holds 8 bytes (16
/// nibbles) of each of the 8 rows. One broadcast 8-byte activation chunk then serves all 8 rows, and lane r of every
/// sum belongs to row r, so no horizontal reduction is needed. The values are the file's, only moved: results stay
/// bit-identical, and every layout is the file's size.
/// <para>
/// Q4_K, per group and 256-value block (1152 bytes = 144 per row-block, as in the file): the quants
/// <c>byte qs[4 chunks][4 k][8 rows][8]</c>, where qs[c][k][r][j] is the file's qs[32c + 8k + j] of row r (its low
/// nibble is value 64c + 8k + j, its high nibble value 64c + 32 + 8k + j), then a head of 128 bytes —
/// <c>f16 d[8]; f16 dmin[8]; uint32 scaleWords[3][8 rows]</c>, word w of row r being the file's 6-bit scale bytes
/// 4w .. 4w + 3 of that row. The kernels widen d and dmin exactly (<see cref="PackedRows8.Q4KScales"/>) and unpack the
/// 6-bit scales and mins of all 8 rows in a few vector steps (<see cref="PackedRows8.Q4KScaleWords"/>). Why the
/// file's sizes: decode streams every byte once per token, and the blocks then fill whole cache lines (18), so the
/// quants' 64-byte loads never straddle two. Until session 17 the scales were unpacked to bytes here (1184-byte
/// blocks, 2.8% more than the file for decode to read and for memory to hold; 1216 with d and dmin as floats).
/// Q4_0, per group and 32-value block (144 bytes = 18 per row-block, as in the file):
/// <c>f16 d[8]; byte qs[2 k][8 rows][8]</c> with qs[k][r][j] = the file's qs[8k + j] of row r (low nibble: value
/// 8k + j, high nibble: value 16 + 8k + j); the kernels widen d exactly (<see cref="PackedRows8.Q4_0Scales"/>).
/// Q8_0 and Q5_0 (which llama.cpp does not repack: the products keep vec_dot's sums, see <see cref="TilesQ8_0"/>),
/// per group and 32-value block: Q8_0 <c>f16 d[8]; sbyte qs[8 rows][32]</c> (272 bytes = 34 per row-block, as in the
/// file), Q5_0 <c>f16 d[8]; { byte qh[4]; byte qs[16]; } rows[8]</c> (176 bytes = 22 per row-block, as in the file).
/// Why: the file's 8 rows are 8 streams for decode's 8-row kernel, which the hardware prefetcher loses; one group is
/// one stream, and its 8 scales widen in one vector step.
/// </para>
/// Rows longer than 2048 values lie chunk-major within batches of 8 groups (<see cref="Chunked"/>).
/// The memory is native (<see cref="StreamedMemory"/>: 2 MiB pages where Linux gives them), and freed with the last
/// pack that uses it (a <see cref="Slice"/> shares its source's memory).
/// </summary>
internal sealed unsafe class Rows8Pack
{
    public const int Q4KBlockBytes = 1152, Q4_0BlockBytes = 144, Q8_0BlockBytes = 272, Q5_0BlockBytes = 176;
    // D: the scales' place in a Q4_0, Q8_0 or Q5_0 block and in a Q4_K block's head; DMin and ScaleWords: Q4_K's (in its
    // head). Q5_0's rows (qh and qs, 20 bytes each) follow its scales.
    public const int DOffset = 0, DMinOffset = 16, ScaleWordsOffset = 32, Q4_0QuantsOffset = 16, Q8_0QuantsOffset = 16, Q5_0RowsOffset = 16;
    /// <summary>Where a packed Q4_K block's head follows its quants.</summary>
    public const int Q4KHeadOffset = 1024;
    private const int Q4KHeadBytes = Q4KBlockBytes - Q4KHeadOffset;

    private readonly StreamedBuffer _memory;   // freed when no pack refers to it any more
    private readonly byte* _data;

    private Rows8Pack(QuantType type, int cols, int groups, StreamedBuffer? memory, long firstGroup, int chunkBlocks = 0)
    {
        Type = type;
        BlockBytes = type switch
        {
            QuantType.Q4_K => Q4KBlockBytes, QuantType.Q4_0 => Q4_0BlockBytes, QuantType.Q5_0 => Q5_0BlockBytes, _ => Q8_0BlockBytes,
        };
        Blocks = cols / ValuesPerBlock(type);
        ChunkBlocks = chunkBlocks > 0 ? chunkBlocks : Blocks;
        Groups = groups;
        GroupBytes = (long)Blocks * BlockBytes;
        _memory = memory ?? new StreamedBuffer(checked(GroupBytes * groups));
        _data = _memory.Data + firstGroup * GroupBytes;
    }

    public QuantType Type { get; }
    private static int ValuesPerBlock(QuantType type) => type == QuantType.Q4_K ? 256 : 32;

    /// <summary>Blocks per row (256 values for Q4_K, 32 for the others).</summary>
    public int Blocks { get; }
    /// <summary>Bytes of one block of one group of 8 rows.</summary>
    public int BlockBytes { get; }
    public long GroupBytes { get; }
    public int Groups { get; }
    public long ByteLength => GroupBytes * Groups;

    /// <summary>Groups per batch of a chunked pack (<see cref="Chunked"/>).</summary>
    public const int BatchGroups = 8;
    /// <summary>Blocks per chunk: <see cref="Blocks"/> unless the pack is chunked.</summary>
    public int ChunkBlocks { get; }

    /// <summary>
    /// Whether the pack lies chunk-major: rows longer than 2048 values are stored per batch of <see cref="BatchGroups"/>
    /// groups, chunk after chunk of <see cref="ChunkBlocks"/> blocks (a divisor of <see cref="Blocks"/>, at most 2048
    /// values), each chunk holding the batch's groups one after another. Why: decode reads a chunk of every group of a
    /// batch in one run, so that chunk's activations (≤ 2 KB) stay in L1 for all of them; a group of 8 × 8960 Q8_0
    /// columns is 76 KB (Q4_0, Q4_K: 40 KB), and between one group and the next the whole row's activations (10 KB) had
    /// left L1. In one process, the packed one-token kernel over an 8960-column matrix read this way: Q8_0 1.19–1.29x
    /// (BENCHMARKS, session 22), Q4_0 1.27–1.30x; two loads of a model alternated in one process, 1-thread decode
    /// 1.06–1.12x (Q8_0), 1.10x (Q4_0), 1.04x (a Q4_K_M file, whose long rows are half Q6_K), prompts and 2-thread decode
    /// unchanged (session 23). A group's blocks are then contiguous within a chunk only: the kernels step from chunk to
    /// chunk by <see cref="ChunkStride"/>.
    /// </summary>
    public bool Chunked => ChunkBlocks < Blocks;

    /// <summary>Bytes from a block of group <paramref name="group"/> to the same block of its next chunk.</summary>
    public long ChunkStride(int group) => (long)BatchSize(group / BatchGroups) * ChunkBlocks * BlockBytes;

    // Groups in batch `batch` (the last one may be short).
    private int BatchSize(int batch) => Math.Min(BatchGroups, Groups - batch * BatchGroups);

    /// <summary>The end of the batch that holds <paramref name="group"/>, or <paramref name="limit"/> if sooner: the
    /// groups a chunked decode walks together from <paramref name="group"/>.</summary>
    public static int BatchEnd(int group, int limit) => Math.Min(limit, (group / BatchGroups + 1) * BatchGroups);

    // Blocks per chunk for a matrix of `blocks` blocks a row: for rows longer than 2048 values, the largest divisor of
    // 16–64 blocks of 32 values (512–2048) or 4–8 of Q4_K's 256 (1024–2048), else the whole row (not chunked).
    private static int ChunkFor(QuantType type, int blocks)
    {
        int most = 2048 / ValuesPerBlock(type), least = Math.Max(4, 512 / ValuesPerBlock(type));
        if (blocks <= most) return blocks;
        for (int d = most; d >= least; d--)
            if (blocks % d == 0) return d;
        return blocks;
    }

    /// <summary>
    /// Block <paramref name="block"/> of group <paramref name="group"/> (rows 8·group .. 8·group + 7). Unless the pack is
    /// <see cref="Chunked"/>, a group's blocks, and the groups, lie one after another, so the kernels walk them with a
    /// running pointer from <c>Block(g0, 0)</c>. Why: called per block, this reloaded the pack's fields and multiplied every time (the
    /// kernels' stores through pointers may alias the fields, so the JIT cannot keep them), which cost prompt
    /// processing's 4-token tiles 2–6% (Q4_K) and 9–11% (Q4_0).
    /// </summary>
    public byte* Block(int group, int block)
    {
        if (!Chunked) return _data + group * GroupBytes + (long)block * BlockBytes;
        int batch = group / BatchGroups, chunk = block / ChunkBlocks;
        long inBatch = ((long)chunk * BatchSize(batch) + group - batch * BatchGroups) * ChunkBlocks + block - chunk * ChunkBlocks;
        return _data + batch * BatchGroups * GroupBytes + inBatch * BlockBytes;
    }

    /// <summary>
    /// Groups [firstGroup, firstGroup + groups) as a pack of their own, sharing this one's memory. Of a chunked pack,
    /// only whole batches (the last one may be short), which lie one after another as a pack of their own would.
    /// </summary>
    public Rows8Pack Slice(int firstGroup, int groups)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstGroup);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstGroup + groups, Groups, nameof(groups));
        if (!CanSlice(firstGroup, groups))
            throw new ArgumentException($"groups [{firstGroup}, {firstGroup + groups}) of a chunked pack are not whole batches of {BatchGroups}");
        return new Rows8Pack(Type, Blocks * ValuesPerBlock(Type), groups, _memory, (_data - _memory.Data) / GroupBytes + firstGroup, ChunkBlocks);
    }

    /// <summary>Whether <see cref="Slice"/> takes these groups: any of a pack laid group after group, whole batches of a chunked one.</summary>
    public bool CanSlice(int firstGroup, int groups) =>
        !Chunked || firstGroup % BatchGroups == 0 && (groups % BatchGroups == 0 || firstGroup + groups == Groups);

    /// <summary>Whether <see cref="Build"/> handles this matrix.</summary>
    public static bool Handles(QuantType type, long rows) =>
        type is QuantType.Q4_0 or QuantType.Q4_K or QuantType.Q8_0 or QuantType.Q5_0 && rows % 8 == 0 && rows > 0;

    /// <summary>
    /// Packs a [rows, cols] matrix whose stored rows <paramref name="readRows"/> copies, 8·n rows at a time, into
    /// its span argument (first row index given). Returns null for a matrix with an infinite or NaN scale (or Q4_K
    /// min scale), which the packed kernels' f16 widening does not carry, and for a Q8_0 matrix with a quant of −128,
    /// which their sign step does not (see <see cref="TilesQ8_0.Rows8Packed"/>; llama.cpp's quantizer writes −127 to
    /// 127): such a matrix keeps the file's layout and its results.
    /// </summary>
    public static Rows8Pack? Build(QuantType type, int cols, long rows, long rowBytes, Action<long, Span<byte>> readRows)
    {
        ArgumentNullException.ThrowIfNull(readRows);
        if (!Handles(type, rows)) throw new ArgumentException($"{type} with {rows} rows has no 8-row layout", nameof(type));
        int blocks = cols / ValuesPerBlock(type);
        var pack = new Rows8Pack(type, cols, checked((int)(rows / 8)), memory: null, firstGroup: 0, ChunkFor(type, blocks));
        int groupsPerRead = (int)Math.Max(1, (1L << 20) / (8 * rowBytes));
        var buffer = new byte[checked(groupsPerRead * 8 * (int)rowBytes)];
        for (int g0 = 0; g0 < pack.Groups; g0 += groupsPerRead)
        {
            int n = Math.Min(groupsPerRead, pack.Groups - g0);
            var chunk = buffer.AsSpan(0, n * 8 * (int)rowBytes);
            readRows(8L * g0, chunk);
            for (int g = 0; g < n; g++)
            {
                if (type is QuantType.Q8_0 or QuantType.Q5_0)
                {
                    if (!PackScaledGroup(type, chunk.Slice(8 * g * (int)rowBytes, 8 * (int)rowBytes), (int)rowBytes, pack, g0 + g))
                        return null;
                    continue;
                }
                for (int b = 0; b < pack.Blocks; b++)
                {
                    byte* blk = pack.Block(g0 + g, b);
                    for (int r = 0; r < 8; r++)
                    {
                        var src = chunk.Slice((8 * g + r) * (int)rowBytes, (int)rowBytes);
                        bool finite = type == QuantType.Q4_K
                            ? PackQ4KRow(src.Slice(b * 144, 144), r, blk)
                            : PackQ4_0Row(src.Slice(b * 18, 18), r, new Span<byte>(blk, Q4_0BlockBytes));
                        if (!finite) return null;
                    }
                }
            }
        }
        return pack;
    }

    // Row r of the packed block at dst; false where the file block's d or dmin is infinite or NaN.
    private static bool PackQ4KRow(ReadOnlySpan<byte> blk, int r, byte* dst)
    {
        if (!float.IsFinite(IntegerDotScalar.Half(blk, 0)) || !float.IsFinite(IntegerDotScalar.Half(blk, 2))) return false;
        var head = new Span<byte>(dst + Q4KHeadOffset, Q4KHeadBytes);
        var quants = new Span<byte>(dst, Q4KHeadOffset);
        blk[..2].CopyTo(head.Slice(DOffset + 2 * r, 2));
        blk.Slice(2, 2).CopyTo(head.Slice(DMinOffset + 2 * r, 2));
        for (int w = 0; w < 3; w++)
            blk.Slice(4 + 4 * w, 4).CopyTo(head.Slice(ScaleWordsOffset + 32 * w + 4 * r, 4));
        var qs = blk.Slice(16, 128);
        for (int c = 0; c < 4; c++)
            for (int k = 0; k < 4; k++)
                qs.Slice(32 * c + 8 * k, 8).CopyTo(quants.Slice(256 * c + 64 * k + 8 * r, 8));
        return true;
    }

    // False where the block's scale is infinite or NaN.
    private static bool PackQ4_0Row(ReadOnlySpan<byte> blk, int r, Span<byte> dst)
    {
        if (!float.IsFinite(IntegerDotScalar.Half(blk, 0))) return false;
        blk[..2].CopyTo(dst.Slice(DOffset + 2 * r, 2));
        for (int k = 0; k < 2; k++)
            blk.Slice(2 + 8 * k, 8).CopyTo(dst.Slice(Q4_0QuantsOffset + 64 * k + 8 * r, 8));
        return true;
    }

    // One Q8_0 or Q5_0 group's 8 file rows (one after another in rows8) into its packed blocks: each row-block's f16
    // scale to the block's scales, the rest of it (Q8_0's 32 quants, Q5_0's qh and qs) to the row's place; false where
    // a scale is infinite or NaN, or a Q8_0 quant −128. Each row-block's payload moves in one copy: with spans sliced
    // per row-block, `deepsharp bench -n 1` on a 1.8 GB Q8_0 file took 5.2 s instead of 4.2–4.4 (most of what remains
    // is first-touch page faults of the packed copy and the reads: 3.5–4.3 s of system time).
    private static bool PackScaledGroup(QuantType type, ReadOnlySpan<byte> rows8, int rowBytes, Rows8Pack pack, int group)
    {
        bool q8 = type == QuantType.Q8_0;
        int fileBlock = q8 ? 34 : 22, payload = fileBlock - 2;
        int rowsAt = q8 ? Q8_0QuantsOffset : Q5_0RowsOffset;
        fixed (byte* src = rows8)
            for (int b = 0; b < pack.Blocks; b++)
            {
                byte* dst = pack.Block(group, b);
                for (int r = 0; r < 8; r++)
                {
                    byte* blk = src + r * rowBytes + b * fileBlock;
                    if (!float.IsFinite(IntegerDotScalar.Half(new ReadOnlySpan<byte>(blk, 2), 0))) return false;
                    if (q8 && new ReadOnlySpan<byte>(blk + 2, 32).Contains((byte)0x80)) return false;
                    Unsafe.WriteUnaligned(dst + DOffset + 2 * r, Unsafe.ReadUnaligned<ushort>(blk));
                    Unsafe.CopyBlockUnaligned(dst + rowsAt + payload * r, blk + 2, (uint)payload);
                }
            }
        return true;
    }
}
