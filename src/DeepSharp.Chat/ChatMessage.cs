namespace DeepSharp.Chat;

/// <summary>One chat turn as templates see it (the OpenAI / Hugging Face message shape).</summary>
/// <param name="Role">"system", "user", "assistant", "tool" (or "developer").</param>
/// <param name="Content">Text content; null renders as None (assistant turns that only call tools).</param>
/// <param name="ReasoningContent">The chain of thought of an assistant turn, when kept separately.</param>
public sealed record ChatMessage(string Role, string? Content, string? ReasoningContent = null)
{
    /// <summary>Typed content (OpenAI "content": [{"type":"text","text":...}]); used instead of
    /// <see cref="Content"/> when set. Templates that cannot take a list get the text parts joined by "\n".</summary>
    public IReadOnlyList<ChatContentPart>? ContentParts { get; init; }

    /// <summary>Function calls made by an assistant turn.</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>For role "tool": the id of the call this message answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>For role "tool" (or named participants): the function or author name.</summary>
    public string? Name { get; init; }
}

/// <summary>One item of typed content, e.g. <c>new ChatContentPart("text", "hello")</c>.</summary>
public sealed record ChatContentPart(string Type, string? Text);

/// <summary>A function call of an assistant turn. <paramref name="Arguments"/> is JSON text (as OpenAI sends it)
/// or an object (JsonElement, JsonNode, dictionary); the renderer converts it to the form the template expects.</summary>
public sealed record ChatToolCall(string Name, object? Arguments, string? Id = null);
