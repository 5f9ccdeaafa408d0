using System.Collections.Concurrent;
using System.Text;
using DeepSharp.Chat;
using DeepSharp.Sampling;
using DeepSharp.Server.Backend;

namespace DeepSharp.Server.BrowserTests;

/// <summary>
/// A model stand-in for the server (its <see cref="IModelBackend"/> seam) that says a fixed R1-style text: every token
/// is one piece of the script, and the logits after a token point at the next piece so strongly that any sampling
/// settings pick it. Random weights never close their thinking; this shows the page a thought and an answer.
/// </summary>
internal sealed class ScriptedBackend : IModelBackend
{
    private const int EndToken = 0, PromptToken = 1, FirstPiece = 2;
    private readonly string[] _pieces; // token id → its text
    private readonly int[] _next;      // token id → the token the script says after it
    private readonly TimeSpan _perToken;

    private ScriptedBackend(string modelId, string[] script, bool loop, TimeSpan perToken)
    {
        ModelId = modelId;
        _pieces = ["", "", .. script];
        _next = new int[_pieces.Length];
        _next[PromptToken] = FirstPiece;
        for (int t = FirstPiece; t < _pieces.Length; t++) _next[t] = t + 1 < _pieces.Length ? t + 1 : loop ? FirstPiece : EndToken;
        _perToken = perToken;
    }

    /// <summary>R1 output after a prompt ending in "&lt;think&gt;\n": the reasoning, "&lt;/think&gt;", the answer, end.</summary>
    public static ScriptedBackend Answering(string modelId, string[] reasoning, string[] answer) =>
        new(modelId, [.. reasoning, "\n</think>\n\n", .. answer], loop: false, TimeSpan.Zero);

    /// <summary>Reasoning that never ends, one token every <paramref name="perToken"/>: a generation to stop.</summary>
    public static ScriptedBackend Endless(string modelId, string[] reasoning, TimeSpan perToken) =>
        new(modelId, reasoning, loop: true, perToken);

    /// <summary>Every conversation the server rendered, as the chat template would have seen it.</summary>
    public ConcurrentQueue<IReadOnlyList<ChatMessage>> Conversations { get; } = new();

    public string ModelId { get; }
    public int ContextSize => 1 << 20;
    public int VocabSize => _pieces.Length;
    public SamplingOptions DefaultSampling => SamplingOptions.R1Defaults;

    public RenderedPrompt RenderChat(IReadOnlyList<ChatMessage> messages)
    {
        Conversations.Enqueue(messages);
        return new RenderedPrompt([.. Enumerable.Repeat(PromptToken, 1 + messages.Count)], StartsInReasoning: true);
    }

    public int[] Tokenize(string text) => [PromptToken];
    public bool IsEndOfGeneration(int token) => token == EndToken;
    public byte[] TokenBytes(int token) => Encoding.UTF8.GetBytes(_pieces[token]);
    public ITokenDecoder CreateDecoder() => new PieceDecoder(_pieces);
    public ISequenceSlot CreateSlot() => new Slot(this);
    public void Dispose() { }

    private sealed class PieceDecoder(string[] pieces) : ITokenDecoder
    {
        public string Push(int token) => pieces[token];
        public string Flush() => "";
    }

    private sealed class Slot(ScriptedBackend script) : ISequenceSlot
    {
        private readonly List<int> _tokens = [];
        private readonly float[] _logits = new float[script.VocabSize];

        public IReadOnlyList<int> Tokens => _tokens;
        public int Remaining => script.ContextSize - _tokens.Count;
        public ReadOnlySpan<float> Logits => _tokens.Count == 0 ? [] : _logits;

        public void Rewind(int position) => _tokens.RemoveRange(position, _tokens.Count - position);

        public void Append(ReadOnlySpan<int> tokens)
        {
            if (script._perToken > TimeSpan.Zero) Thread.Sleep(script._perToken); // a slow model, so a person could press stop
            foreach (int t in tokens) _tokens.Add(t);
            Array.Clear(_logits);
            _logits[script._next[_tokens[^1]]] = 40f;
        }

        public void Dispose() { }
    }
}
