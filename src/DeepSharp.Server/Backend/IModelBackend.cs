using DeepSharp.Chat;
using DeepSharp.Sampling;

namespace DeepSharp.Server.Backend;

/// <summary>A rendered chat prompt: its token ids and whether it ends inside an opened &lt;think&gt; block.</summary>
public sealed record RenderedPrompt(int[] Tokens, bool StartsInReasoning);

/// <summary>
/// What the server needs from a model. The real one (<see cref="ChatModelBackend"/>) wraps a GGUF model; tests inject
/// scripted ones so the HTTP layer can be checked on exact token streams. Everything here except
/// <see cref="CreateSlot"/>'s slots must be safe to call from several threads.
/// </summary>
public interface IModelBackend : IDisposable
{
    /// <summary>The name clients see in <c>model</c> fields and <c>/v1/models</c>.</summary>
    string ModelId { get; }

    /// <summary>Positions per slot (prompt plus generated tokens).</summary>
    int ContextSize { get; }

    int VocabSize { get; }

    /// <summary>Sampling defaults (the model file's, or R1's); requests override single fields.</summary>
    SamplingOptions DefaultSampling { get; }

    /// <summary>Renders a conversation with the model's chat template and tokenizes it.</summary>
    RenderedPrompt RenderChat(IReadOnlyList<ChatMessage> messages);

    /// <summary>Tokenizes raw text for plain completion (BOS added as the model asks, special tokens parsed).</summary>
    int[] Tokenize(string text);

    bool IsEndOfGeneration(int token);

    /// <summary>The raw bytes of one token (for logprobs).</summary>
    byte[] TokenBytes(int token);

    /// <summary>A fresh UTF-8-safe incremental detokenizer for one sequence.</summary>
    ITokenDecoder CreateDecoder();

    /// <summary>A new slot: one KV cache. A slot is used by one thread at a time.</summary>
    ISequenceSlot CreateSlot();

    /// <summary>
    /// Appends <paramref name="counts"/>[i] tokens to <paramref name="slots"/>[i] (slots of this backend, each listed
    /// once; their tokens follow each other in <paramref name="tokens"/>): one sampled token for a generating slot, a
    /// prompt chunk for a slot reading its prompt. A real model does it in one forward pass, so one read of the
    /// weights serves every sequence; this default appends them one by one.
    /// </summary>
    void AppendEach(IReadOnlyList<ISequenceSlot> slots, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts)
    {
        ArgumentNullException.ThrowIfNull(slots);
        for (int i = 0, first = 0; i < slots.Count; first += counts[i], i++) slots[i].Append(tokens.Slice(first, counts[i]));
    }
}

/// <summary>Token ids to text, holding back incomplete UTF-8 sequences.</summary>
public interface ITokenDecoder
{
    string Push(int token);

    string Flush();
}

/// <summary>
/// One sequence's KV cache and the token ids it holds (so the scheduler can reuse a common prefix).
/// Not thread-safe: the scheduler drives each slot from one thread.
/// </summary>
public interface ISequenceSlot : IDisposable
{
    /// <summary>The tokens whose keys and values the cache holds, in order.</summary>
    IReadOnlyList<int> Tokens { get; }

    /// <summary>Positions left before the cache is full.</summary>
    int Remaining { get; }

    /// <summary>Logits after the last appended token (empty after a rewind).</summary>
    ReadOnlySpan<float> Logits { get; }

    /// <summary>Forgets every position from <paramref name="position"/> on.</summary>
    void Rewind(int position);

    /// <summary>Runs the tokens through the model; <see cref="Logits"/> then predicts the next one.</summary>
    void Append(ReadOnlySpan<int> tokens);
}
