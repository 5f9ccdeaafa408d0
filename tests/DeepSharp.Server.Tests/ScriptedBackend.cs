using System.Text;
using DeepSharp.Chat;
using DeepSharp.Sampling;
using DeepSharp.Server.Backend;

namespace DeepSharp.Server.Tests;

/// <summary>
/// A fake model whose logits make a scripted token stream overwhelmingly likely (+30 over every other token), so the
/// real sampler, detokenizer, stop strings and reasoning router run on known text. Ids below <see cref="CharBase"/>
/// are the script's pieces; ASCII characters are <c>CharBase + c</c> (prompts are tokenized per character); then one
/// end-of-generation id. After the script: the tail pieces ranked by preference, or end of generation.
/// </summary>
internal sealed class ScriptedBackend : IModelBackend
{
    public const int CharBase = 64;
    private readonly List<string> _pieces = [];
    private readonly int[] _script;
    private readonly int[] _tail;

    public ScriptedBackend(IReadOnlyList<string> script, IReadOnlyList<string>? tail = null, int contextSize = 512)
    {
        _script = [.. script.Select(Piece)];
        _tail = [.. (tail ?? []).Select(Piece)];
        ContextSize = contextSize;
    }

    public string ModelId => "scripted";
    public int ContextSize { get; }
    public const int EndOfGeneration = CharBase + 128;
    public int VocabSize => EndOfGeneration + 1;
    public SamplingOptions DefaultSampling { get; init; } = SamplingOptions.R1Defaults;

    /// <summary>Milliseconds each forward call takes (to keep slots busy in cancellation and queue tests).</summary>
    public int StepDelayMs { get; init; }

    /// <summary>Repeat the script forever instead of ending.</summary>
    public bool Endless { get; init; }

    /// <summary>The last conversation rendered (to check what reached the template).</summary>
    public IReadOnlyList<ChatMessage>? LastMessages { get; private set; }

    private int _slotsCreated;
    public int SlotsCreated => _slotsCreated;

    private int Piece(string text)
    {
        int i = _pieces.IndexOf(text);
        if (i >= 0) return i;
        _pieces.Add(text);
        if (_pieces.Count > CharBase) throw new InvalidOperationException("too many script pieces");
        return _pieces.Count - 1;
    }

    public RenderedPrompt RenderChat(IReadOnlyList<ChatMessage> messages)
    {
        LastMessages = messages;
        var text = new StringBuilder();
        foreach (var m in messages) text.Append('<').Append(m.Role).Append('>').Append(m.Content);
        text.Append("<assistant><think>\n");
        return new RenderedPrompt(Tokenize(text.ToString()), StartsInReasoning: true);
    }

    public int[] Tokenize(string text) => [.. text.Select(c => CharBase + (c < 128 ? c : '?'))];

    public bool IsEndOfGeneration(int token) => token == EndOfGeneration;

    public byte[] TokenBytes(int token) => Encoding.UTF8.GetBytes(Text(token));

    public string Text(int token) =>
        token < _pieces.Count ? _pieces[token] : token >= CharBase && token < EndOfGeneration ? ((char)(token - CharBase)).ToString() : "";

    public ITokenDecoder CreateDecoder() => new Decoder(this);

    public ISequenceSlot CreateSlot()
    {
        Interlocked.Increment(ref _slotsCreated);
        return new Slot(this);
    }

    public void Dispose() { }

    /// <summary>Logits for a cache holding <paramref name="tokens"/>: count the generated tokens after the prompt.</summary>
    private void FillLogits(IReadOnlyList<int> tokens, float[] logits)
    {
        int generated = 0;
        for (int i = tokens.Count - 1; i >= 0 && tokens[i] < CharBase; i--) generated++;
        Array.Clear(logits);
        if (generated < _script.Length || (Endless && _script.Length > 0))
        {
            logits[_script[generated % _script.Length]] = 30;
            return;
        }
        if (_tail.Length == 0)
        {
            logits[EndOfGeneration] = 30;
            return;
        }
        for (int i = 0; i < _tail.Length; i++) logits[_tail[i]] = 30 - i;
    }

    private sealed class Decoder(ScriptedBackend backend) : ITokenDecoder
    {
        public string Push(int token) => backend.Text(token);
        public string Flush() => "";
    }

    private sealed class Slot(ScriptedBackend backend) : ISequenceSlot
    {
        private readonly List<int> _tokens = [];
        private readonly float[] _logits = new float[backend.VocabSize];
        private bool _hasLogits;

        public IReadOnlyList<int> Tokens => _tokens;
        public int Remaining => backend.ContextSize - _tokens.Count;
        public ReadOnlySpan<float> Logits => _hasLogits ? _logits : [];

        public void Rewind(int position)
        {
            _tokens.RemoveRange(position, _tokens.Count - position);
            _hasLogits = false;
        }

        public void Append(ReadOnlySpan<int> tokens)
        {
            if (tokens.Length > Remaining) throw new InvalidOperationException("context full");
            if (backend.StepDelayMs > 0) Thread.Sleep(backend.StepDelayMs);
            foreach (int t in tokens) _tokens.Add(t);
            backend.FillLogits(_tokens, _logits);
            _hasLogits = true;
        }

        public void Dispose() { }
    }
}
