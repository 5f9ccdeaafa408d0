using System.Collections.Concurrent;
using System.Text;

namespace DeepSharp.Tokenizers;

/// <summary>
/// Byte-level BPE on one pre-token: its UTF-8 bytes become single-byte symbols (tokens of the GPT-2 byte map), then the
/// adjacent pair with the lowest merge rank is merged, leftmost first among equal ranks, until no pair has a merge
/// (Sennrich et al.; openai/gpt-2 encoder.py <c>bpe</c>; llama.cpp <c>llm_tokenizer_bpe_session</c>). Pairs live in a
/// priority queue keyed by (rank, position), and results are cached per pre-token. Immutable apart from the
/// thread-safe cache.
/// </summary>
internal sealed class BytePairEncoder
{
    private const int CacheLimit = 1 << 16;

    private readonly Vocabulary _vocab;
    private readonly Dictionary<long, Merge> _merges;
    private readonly int[] _idOfByte;
    private readonly bool _ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    /// <param name="vocab">The vocabulary (byte-level token texts).</param>
    /// <param name="merges">Merge rules in rank order: pairs of token texts.</param>
    /// <param name="ignoreMerges">Emit a pre-token that is itself a token whole (Llama 3, HF <c>ignore_merges</c>).</param>
    public BytePairEncoder(Vocabulary vocab, IReadOnlyList<(string Left, string Right)> merges, bool ignoreMerges)
    {
        _vocab = vocab;
        _ignoreMerges = ignoreMerges;
        _merges = new Dictionary<long, Merge>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            // A rule whose parts or result are not tokens can never produce a token: skip it.
            if (vocab.Find(left) is int l && vocab.Find(right) is int r && vocab.Find(left + right) is int merged)
                _merges.TryAdd(PairKey(l, r), new Merge(rank, merged));
        }
        _idOfByte = new int[256];
        for (int b = 0; b < 256; b++)
            _idOfByte[b] = vocab.Find(ByteLevelMapping.ToChar((byte)b).ToString()) ?? -1;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of usable merge rules.</summary>
    public int MergeCount => _merges.Count;

    /// <summary>Appends the token ids of one pre-token (raw text, not yet byte-mapped).</summary>
    public void Encode(ReadOnlySpan<char> piece, List<int> output, BpeScratch scratch)
    {
        if (piece.IsEmpty) return;
        if (_cacheLookup.TryGetValue(piece, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }
        int[] ids = EncodeUncached(piece, scratch);
        if (_cache.Count >= CacheLimit) _cache.Clear();
        _cacheLookup.TryAdd(piece, ids);
        output.AddRange(ids);
    }

    private int[] EncodeUncached(ReadOnlySpan<char> piece, BpeScratch s)
    {
        int byteCount = Encoding.UTF8.GetByteCount(piece);
        byte[] bytes = s.Bytes(byteCount);
        Encoding.UTF8.GetBytes(piece, bytes);
        var utf8 = bytes.AsSpan(0, byteCount);

        if (_ignoreMerges && WholeToken(utf8) is int whole) return [whole];

        s.Reset(byteCount);
        for (int i = 0; i < byteCount; i++)
        {
            s.Ids[i] = _idOfByte[utf8[i]];
            s.Prev[i] = i - 1;
            s.Next[i] = i + 1 < byteCount ? i + 1 : -1;
        }
        for (int i = 0; i + 1 < byteCount; i++) TryQueue(s, i, i + 1);

        while (s.Queue.TryDequeue(out var pair, out _))
        {
            if (s.Ids[pair.Left] != pair.LeftId || s.Next[pair.Left] != pair.Right || s.Ids[pair.Right] != pair.RightId)
                continue; // stale: one side was merged since this pair was queued
            s.Ids[pair.Left] = pair.Merged;
            s.Ids[pair.Right] = -2; // gone
            int after = s.Next[pair.Right];
            s.Next[pair.Left] = after;
            if (after >= 0) s.Prev[after] = pair.Left;
            if (s.Prev[pair.Left] >= 0) TryQueue(s, s.Prev[pair.Left], pair.Left);
            if (after >= 0) TryQueue(s, pair.Left, after);
        }

        var result = new List<int>();
        for (int i = 0; i >= 0; i = s.Next[i])
        {
            // A byte without a token (a vocabulary lacking part of the byte map) is dropped, as nothing can stand for it.
            if (s.Ids[i] >= 0) result.Add(s.Ids[i]);
        }
        return [.. result];
    }

    private int? WholeToken(ReadOnlySpan<byte> utf8)
    {
        Span<char> mapped = utf8.Length <= 256 ? stackalloc char[utf8.Length] : new char[utf8.Length];
        for (int i = 0; i < utf8.Length; i++) mapped[i] = ByteLevelMapping.ToChar(utf8[i]);
        return _vocab.Find(mapped);
    }

    private void TryQueue(BpeScratch s, int left, int right)
    {
        int leftId = s.Ids[left], rightId = s.Ids[right];
        if (leftId < 0 || rightId < 0 || !_merges.TryGetValue(PairKey(leftId, rightId), out var merge)) return;
        long priority = ((long)merge.Rank << 32) | (uint)left; // lowest rank first, then leftmost
        s.Queue.Enqueue(new QueuedPair(left, right, leftId, rightId, merge.Merged), priority);
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private readonly record struct Merge(int Rank, int Merged);

    internal readonly record struct QueuedPair(int Left, int Right, int LeftId, int RightId, int Merged);
}

/// <summary>Reusable per-call buffers for <see cref="BytePairEncoder"/> (one per Encode call; not shared).</summary>
internal sealed class BpeScratch
{
    private byte[] _bytes = new byte[64];

    public int[] Ids { get; private set; } = new int[64];
    public int[] Prev { get; private set; } = new int[64];
    public int[] Next { get; private set; } = new int[64];
    public PriorityQueue<BytePairEncoder.QueuedPair, long> Queue { get; } = new();

    public byte[] Bytes(int count)
    {
        if (_bytes.Length < count) _bytes = new byte[Math.Max(count, _bytes.Length * 2)];
        return _bytes;
    }

    public void Reset(int count)
    {
        if (Ids.Length < count)
        {
            int size = Math.Max(count, Ids.Length * 2);
            Ids = new int[size];
            Prev = new int[size];
            Next = new int[size];
        }
        Queue.Clear();
    }
}
