using DeepSharp.Chat;
using DeepSharp.Models;
using DeepSharp.Runtime;
using EngineMessage = DeepSharp.Chat.ChatMessage;

namespace DeepSharp.Extensions.AI;

/// <summary>
/// Runs a turn on a loaded <see cref="ChatModel"/>: render the conversation with the chat template, tokenize, generate
/// in a session of its own. Sessions are independent, so concurrent turns are safe (the model serializes their
/// forward passes); one finished session is kept for the next turn because its KV cache is large to allocate.
/// </summary>
internal sealed class ModelTurnEngine : ITurnEngine
{
    private readonly ChatModel _model;
    private readonly ChatTemplate? _templateOverride;
    private Session? _spare;

    public ModelTurnEngine(ChatModel model, string? chatTemplate, string? modelId, string? sourceName)
    {
        _model = model;
        _templateOverride = chatTemplate is null ? null : ChatTemplate.Parse(chatTemplate);
        if (_templateOverride is null && model.Template is null)
        {
            throw new InvalidOperationException(
                $"{sourceName ?? "the model"} has no chat template (GGUF key tokenizer.chat_template), so it cannot hold a "
                + "conversation; it is probably a base model. Give one with DeepSharpChatClientOptions.ChatTemplate.");
        }
        ModelId = modelId ?? model.Model.File.Metadata.GetStringOrNull("general.name") ?? sourceName ?? "deepsharp";
    }

    public string ModelId { get; }

    public IEnumerable<GenerationEvent> Start(IReadOnlyList<EngineMessage> messages, GenerationOptions options, CancellationToken cancellation)
    {
        string rendered = Render(messages);
        int[] prompt = _model.TokenizePrompt(rendered);
        options = options with { StartsInReasoning = ChatModel.EndsInReasoning(rendered) };
        Session session = Interlocked.Exchange(ref _spare, null) ?? _model.Model.CreateSession();
        try
        {
            // Generate checks the prompt against the context now; the forward passes wait for enumeration.
            return ReturnSessionAfter(Generator.Generate(session, _model.Tokenizer, prompt, options, cancellation), session);
        }
        catch
        {
            Release(session);
            throw;
        }
    }

    private string Render(IReadOnlyList<EngineMessage> messages)
    {
        if (_templateOverride is null) return _model.RenderChat(messages);
        var tokenizer = _model.Tokenizer;
        string bos = tokenizer.Bos is int b ? tokenizer.TokenText(b) : "";
        string eos = tokenizer.Eos is int e ? tokenizer.TokenText(e) : "";
        return _templateOverride.Render(messages, addGenerationPrompt: true, bos, eos);
    }

    private IEnumerable<GenerationEvent> ReturnSessionAfter(IEnumerable<GenerationEvent> events, Session session)
    {
        try
        {
            foreach (var e in events) yield return e;
        }
        finally
        {
            Release(session);
        }
    }

    private void Release(Session session)
    {
        session.Reset();
        if (Interlocked.CompareExchange(ref _spare, session, null) is not null) session.Dispose();
    }
}
