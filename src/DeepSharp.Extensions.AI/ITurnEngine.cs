using DeepSharp.Runtime;
using EngineMessage = DeepSharp.Chat.ChatMessage;

namespace DeepSharp.Extensions.AI;

/// <summary>
/// What the chat client runs one turn on: the in-process model (<see cref="ModelTurnEngine"/>), or a script in tests
/// (the seam that lets a test see both reasoning and answer, which random weights never produce).
/// </summary>
internal interface ITurnEngine
{
    /// <summary>The id reported in responses and metadata.</summary>
    string ModelId { get; }

    /// <summary>
    /// Checks the turn at once (template, context size: errors are thrown here, not while streaming) and returns its
    /// events, lazily: the first MoveNext starts the prompt pass. Ends with one <see cref="GenerationEventKind.Finished"/>.
    /// </summary>
    IEnumerable<GenerationEvent> Start(IReadOnlyList<EngineMessage> messages, GenerationOptions options, CancellationToken cancellation);
}
