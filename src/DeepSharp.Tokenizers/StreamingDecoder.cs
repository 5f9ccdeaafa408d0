using System.Text;

namespace DeepSharp.Tokenizers;

/// <summary>
/// Turns generated token ids into text one token at a time without ever emitting half a character: bytes of a UTF-8
/// sequence split across tokens (CJK, emoji, byte-fallback tokens) wait until the sequence is complete (the idea of
/// LLamaSharp's StreamingTokenDecoder and mlx-lm's BPEStreamingDetokenizer). Special tokens are rendered as their text.
/// Generated text is a continuation, so SentencePiece's leading space is kept. One instance per stream; not thread-safe.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetDecoder();
    private readonly char[] _chars = new char[64];

    public StreamingDecoder(Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
    }

    /// <summary>The text that token id completes: empty while a character is still incomplete.</summary>
    public string Push(int id) => DecodeBytes(_tokenizer.TokenBytes(id), flush: false);

    /// <summary>Ends the stream: bytes of an unfinished character come out as U+FFFD; the decoder starts afresh.</summary>
    public string Flush() => DecodeBytes([], flush: true);

    private string DecodeBytes(ReadOnlySpan<byte> bytes, bool flush)
    {
        var sb = new StringBuilder();
        bool completed = false;
        while (!completed)
        {
            _utf8.Convert(bytes, _chars, flush, out int bytesUsed, out int charsUsed, out completed);
            sb.Append(_chars, 0, charsUsed);
            bytes = bytes[bytesUsed..];
        }
        return sb.ToString();
    }
}
