using DeepSharp.Chat;
using DeepSharp.Runtime;
using EngineMessage = DeepSharp.Chat.ChatMessage;

namespace DeepSharp.Extensions.AI.Tests;

/// <summary>
/// A stand-in for the model (the client's test seam): it "generates" a fixed raw text, one piece per token, through
/// the real <see cref="ReasoningSplitter"/> as R1 output after a prompt ending in "&lt;think&gt;\n". Random weights
/// never write "&lt;/think&gt;", so this is how a test sees both reasoning and answer.
/// </summary>
internal sealed class ScriptedEngine(params string[] pieces) : ITurnEngine
{
    public string ModelId => "scripted-r1";

    /// <summary>What the last turn was asked, as the chat template would see it.</summary>
    public IReadOnlyList<EngineMessage>? LastMessages { get; private set; }

    public GenerationOptions? LastOptions { get; private set; }

    public IEnumerable<GenerationEvent> Start(IReadOnlyList<EngineMessage> messages, GenerationOptions options, CancellationToken cancellation)
    {
        LastMessages = messages;
        LastOptions = options;
        return Run(options, cancellation);
    }

    private IEnumerable<GenerationEvent> Run(GenerationOptions options, CancellationToken cancellation)
    {
        var splitter = new ReasoningSplitter(startsInReasoning: true);
        int emitted = 0;
        var finish = FinishReason.EndOfGeneration;
        foreach (string piece in pieces)
        {
            if (cancellation.IsCancellationRequested) { finish = FinishReason.Cancelled; break; }
            if (emitted == options.MaxTokens) { finish = FinishReason.Length; break; }
            emitted++;
            foreach (var e in Route(splitter.Push(piece))) yield return e;
        }
        foreach (var e in Route(splitter.Flush())) yield return e;
        yield return new GenerationEvent(GenerationEventKind.Finished, "",
            new GenerationResult(finish, PromptTokens: 11, 0.01, emitted, 0.1, [], Seed: 5));
    }

    private static IEnumerable<GenerationEvent> Route(ReasoningDelta delta)
    {
        if (delta.Reasoning.Length > 0) yield return new GenerationEvent(GenerationEventKind.Reasoning, delta.Reasoning);
        if (delta.Content.Length > 0) yield return new GenerationEvent(GenerationEventKind.Content, delta.Content);
    }
}
