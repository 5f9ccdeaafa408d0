using DeepSharp.Chat.Jinja;

namespace DeepSharp.Chat;

/// <summary>
/// A parsed Hugging Face chat template (the <c>tokenizer.chat_template</c> Jinja text of a GGUF or
/// tokenizer_config.json), rendered the way <c>apply_chat_template</c> does: trim_blocks and lstrip_blocks on,
/// no autoescape, <c>tojson</c> as <c>json.dumps(ensure_ascii=False)</c>, <c>raise_exception</c> available.
/// Immutable and thread-safe once parsed.
/// </summary>
public sealed class ChatTemplate
{
    const string ProbeText = "probe-7f3a";

    readonly IReadOnlyList<Stmt> _body;

    ChatTemplate(string source, IReadOnlyList<Stmt> body)
    {
        Source = source;
        _body = body;
        SupportsTypedContent = ProbeTypedContent();
        bool objectWithNull = ProbeToolCall(null, objectArguments: true);
        bool objectWithEmpty = ProbeToolCall("", objectArguments: true);
        ToolArgumentsAsObject = objectWithNull || objectWithEmpty;
        RequiresNonNullContent = ToolArgumentsAsObject
            ? !objectWithNull && objectWithEmpty
            : !ProbeToolCall(null, objectArguments: false) && ProbeToolCall("", objectArguments: false);
    }

    /// <summary>Parses the template; syntax errors throw <see cref="ChatTemplateException"/> naming the line.</summary>
    public static ChatTemplate Parse(string jinja)
    {
        ArgumentNullException.ThrowIfNull(jinja);
        return new ChatTemplate(jinja, Parser.Parse(jinja));
    }

    public string Source { get; }

    /// <summary>Whether the template renders list-valued content itself (otherwise text parts are joined).</summary>
    public bool SupportsTypedContent { get; }

    /// <summary>Whether tool-call arguments are passed to the template as an object (JSON text is parsed first);
    /// otherwise they are passed as JSON text (objects are serialized first). Detected by rendering probes, as
    /// llama.cpp does, because some templates concatenate the arguments as a string and others apply tojson.</summary>
    public bool ToolArgumentsAsObject { get; }

    /// <summary>Whether null content is passed as "" (templates such as Qwen3 and QwQ call string methods on the
    /// content of tool-call turns; DeepSeek's test it for none, so they get null as given).</summary>
    public bool RequiresNonNullContent { get; }

    /// <summary>Renders a conversation.</summary>
    /// <param name="messages">The turns, in order.</param>
    /// <param name="addGenerationPrompt">Append the assistant-turn opening (e.g. <c>&lt;｜Assistant｜&gt;&lt;think&gt;\n</c>).</param>
    /// <param name="bosToken">Text of the BOS token (templates that print it themselves).</param>
    /// <param name="eosToken">Text of the EOS token.</param>
    /// <param name="extra">More template variables: <c>tools</c> (OpenAI tool list), <c>enable_thinking</c>,
    /// <c>thinking</c>, ... Values may be strings, numbers, bools, lists, dictionaries, JsonElement or JsonNode.
    /// They cannot replace messages, add_generation_prompt, bos_token or eos_token.</param>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string bosToken, string eosToken,
        IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var globals = new Scope(null);
        if (extra != null)
        {
            foreach (var kv in extra) globals.Set(kv.Key, Json.FromClr(kv.Value));
        }
        globals.Set("messages", messages.Select(m => (object?)ToTemplateValue(m)).ToList());
        globals.Set("add_generation_prompt", addGenerationPrompt);
        globals.Set("bos_token", bosToken);
        globals.Set("eos_token", eosToken);
        return Evaluator.Render(_body, globals);
    }

    OrderedDictionary<string, object?> ToTemplateValue(ChatMessage message) =>
        ToTemplateValue(message, SupportsTypedContent, ToolArgumentsAsObject, RequiresNonNullContent);

    static OrderedDictionary<string, object?> ToTemplateValue(ChatMessage message, bool typedContent, bool objectArguments, bool nonNullContent)
    {
        var dict = new OrderedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["role"] = message.Role,
            ["content"] = ContentValue(message, typedContent) ?? (nonNullContent ? "" : null),
        };
        if (message.ReasoningContent != null) dict["reasoning_content"] = message.ReasoningContent;
        if (message.ToolCalls is { Count: > 0 } calls)
        {
            dict["tool_calls"] = calls.Select(c => (object?)ToolCallValue(c, objectArguments)).ToList();
        }
        if (message.ToolCallId != null) dict["tool_call_id"] = message.ToolCallId;
        if (message.Name != null) dict["name"] = message.Name;
        return dict;
    }

    static object? ContentValue(ChatMessage message, bool typedContent)
    {
        if (message.ContentParts == null) return message.Content;
        if (!typedContent)
        {
            return string.Join("\n", message.ContentParts.Where(p => p.Type == "text").Select(p => p.Text ?? ""));
        }
        return message.ContentParts.Select(p =>
        {
            var part = new OrderedDictionary<string, object?>(StringComparer.Ordinal) { ["type"] = p.Type };
            if (p.Text != null) part["text"] = p.Text;
            return (object?)part;
        }).ToList();
    }

    static OrderedDictionary<string, object?> ToolCallValue(ChatToolCall call, bool objectArguments)
    {
        var function = new OrderedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["name"] = call.Name,
            ["arguments"] = ArgumentsValue(call.Arguments, objectArguments),
        };
        var value = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        if (call.Id != null) value["id"] = call.Id;
        value["type"] = "function";
        value["function"] = function;
        return value;
    }

    static object? ArgumentsValue(object? arguments, bool asObject)
    {
        if (arguments is string text)
        {
            if (!asObject) return text;
            try
            {
                return Json.Parse(text);
            }
            catch (JinjaException)
            {
                return text; // not JSON: let the template see what the model wrote
            }
        }
        var value = Json.FromClr(arguments);
        return asObject ? value : Json.Serialize(value);
    }

    // ---- capability probes ---------------------------------------------------------------------------------

    bool ProbeTypedContent()
    {
        var parts = new[] { new ChatContentPart("text", ProbeText) };
        var messages = new[] { new ChatMessage("user", null) { ContentParts = parts } };
        return RendersProbe(messages, typedContent: true, objectArguments: true);
    }

    // DeepSeek templates recognise a tool-call turn by null content, Qwen ones call string methods on it: the
    // constructor tries both, with arguments as an object and as text.
    bool ProbeToolCall(string? assistantContent, bool objectArguments)
    {
        object arguments = objectArguments
            ? new OrderedDictionary<string, object?>(StringComparer.Ordinal) { ["probe_arg"] = ProbeText }
            : "{\"probe_arg\": \"" + ProbeText + "\"}";
        var messages = new[]
        {
            new ChatMessage("user", "hi"),
            new ChatMessage("assistant", assistantContent) { ToolCalls = [new ChatToolCall("probe_tool", arguments, "call_1")] },
            new ChatMessage("tool", "probe result") { ToolCallId = "call_1" },
        };
        return RendersProbe(messages, typedContent: false, objectArguments);
    }

    bool RendersProbe(IReadOnlyList<ChatMessage> messages, bool typedContent, bool objectArguments)
    {
        var globals = new Scope(null);
        globals.Set("messages", messages.Select(m => (object?)ToTemplateValue(m, typedContent, objectArguments, nonNullContent: false)).ToList());
        globals.Set("add_generation_prompt", false);
        globals.Set("bos_token", "");
        globals.Set("eos_token", "");
        try
        {
            return Evaluator.Render(_body, globals).Contains(ProbeText, StringComparison.Ordinal);
        }
        catch (ChatTemplateException)
        {
            return false;
        }
    }
}
