using System.Text;

namespace DeepSharp.Tokenizers;

/// <summary>
/// SentencePiece-style BPE (GGUF <c>tokenizer.ggml.model = "llama"</c>) as llama.cpp's <c>llm_tokenizer_spm_session</c>
/// runs it: the text (spaces already escaped to '▁') starts as one symbol per code point; the adjacent pair whose
/// concatenation is a vocabulary token with the highest score is merged, leftmost first among equal scores, until
/// no pair forms a token. A final symbol that is not a token is written as its UTF-8 bytes through the
/// <c>&lt;0xNN&gt;</c> byte tokens (byte fallback). Immutable; buffers are per call.
/// </summary>
internal sealed class SentencePieceEncoder
{
    /// <summary>U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space.</summary>
    public const char SpaceMarker = '\u2581';

    private readonly Vocabulary _vocab;
    private readonly int[] _byteTokens;

    public SentencePieceEncoder(Vocabulary vocab, int? unknownId)
    {
        _vocab = vocab;
        _byteTokens = new int[256];
        for (int b = 0; b < 256; b++)
        {
            // llama.cpp byte_to_token: "<0xNN>", else the byte as a one-character token.
            _byteTokens[b] = vocab.Find(Vocabulary.ByteTokenText((byte)b))
                ?? vocab.Find(((char)b).ToString())
                ?? unknownId ?? -1;
        }
    }

    /// <summary>Appends the ids of text, whose spaces are already '▁'.</summary>
    public void Encode(string text, List<int> output)
    {
        if (text.Length == 0) return;
        var symbols = new List<Symbol>(text.Length);
        for (int i = 0; i < text.Length;)
        {
            int length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            symbols.Add(new Symbol(i, length, symbols.Count - 1, -1));
            i += length;
        }
        var items = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(symbols);
        for (int i = 0; i + 1 < items.Length; i++) items[i].Next = i + 1;

        var queue = new PriorityQueue<Bigram, Bigram>(BigramOrder.Instance);
        for (int i = 1; i < items.Length; i++) TryQueue(text, items, i - 1, i, queue);

        while (queue.TryDequeue(out var bigram, out _))
        {
            ref var left = ref items[bigram.Left];
            ref var right = ref items[bigram.Right];
            // Stale when either side has been merged away or grown since the pair was queued.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Length) continue;
            left.Length += right.Length;
            right.Length = 0;
            left.Next = right.Next;
            if (right.Next >= 0) items[right.Next].Prev = bigram.Left;
            TryQueue(text, items, left.Prev, bigram.Left, queue);
            TryQueue(text, items, bigram.Left, left.Next, queue);
        }

        for (int i = 0; i >= 0; i = items[i].Next) Emit(text.AsSpan(items[i].Start, items[i].Length), output);
    }

    private void TryQueue(string text, Span<Symbol> items, int left, int right, PriorityQueue<Bigram, Bigram> queue)
    {
        if (left < 0 || right < 0) return;
        int length = items[left].Length + items[right].Length;
        if (_vocab.Find(text.AsSpan(items[left].Start, length)) is not int id) return;
        var bigram = new Bigram(left, right, _vocab.Score(id), length);
        queue.Enqueue(bigram, bigram);
    }

    private void Emit(ReadOnlySpan<char> symbol, List<int> output)
    {
        if (_vocab.Find(symbol) is int id)
        {
            output.Add(id);
            return;
        }
        Span<byte> utf8 = stackalloc byte[8];
        int n = Encoding.UTF8.GetBytes(symbol, utf8);
        for (int i = 0; i < n; i++)
        {
            if (_byteTokens[utf8[i]] >= 0) output.Add(_byteTokens[utf8[i]]);
        }
    }

    private record struct Symbol(int Start, int Length, int Prev, int Next);

    private readonly record struct Bigram(int Left, int Right, float Score, int Length);

    /// <summary>Highest score first; among equal scores the leftmost pair.</summary>
    private sealed class BigramOrder : IComparer<Bigram>
    {
        public static readonly BigramOrder Instance = new();

        public int Compare(Bigram x, Bigram y)
        {
            int byScore = y.Score.CompareTo(x.Score);
            return byScore != 0 ? byScore : x.Left.CompareTo(y.Left);
        }
    }
}
