using DeepSharp.Chat;
using DeepSharp.Sampling;
using DeepSharp.Server.Backend;

namespace DeepSharp.Server.Tests;

/// <summary>A backend that hands everything to another; a test overrides the batched pass it wants to watch.</summary>
internal abstract class DelegatingBackend(IModelBackend inner) : IModelBackend
{
    public string ModelId => inner.ModelId;
    public int ContextSize => inner.ContextSize;
    public int VocabSize => inner.VocabSize;
    public SamplingOptions DefaultSampling => inner.DefaultSampling;
    public RenderedPrompt RenderChat(IReadOnlyList<ChatMessage> messages) => inner.RenderChat(messages);
    public int[] Tokenize(string text) => inner.Tokenize(text);
    public bool IsEndOfGeneration(int token) => inner.IsEndOfGeneration(token);
    public byte[] TokenBytes(int token) => inner.TokenBytes(token);
    public ITokenDecoder CreateDecoder() => inner.CreateDecoder();
    public ISequenceSlot CreateSlot() => inner.CreateSlot();

    public virtual void AppendEach(IReadOnlyList<ISequenceSlot> slots, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts) =>
        inner.AppendEach(slots, tokens, counts);

    public void Dispose() => inner.Dispose();
}
