using System.Text.Json;

namespace DeepSharp.Chat.Tests;

/// <summary>Conversations shared by the template tests, and the special-token texts quoted from the templates.</summary>
internal static class Conversations
{
    // Quoted from the template files: U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH BLOCK.
    public const string Bos = "<｜begin▁of▁sentence｜>";
    public const string Eos = "<｜end▁of▁sentence｜>";
    public const string User = "<｜User｜>";
    public const string Assistant = "<｜Assistant｜>";
    public const string ToolCallsBegin = "<｜tool▁calls▁begin｜>";
    public const string ToolCallsEnd = "<｜tool▁calls▁end｜>";
    public const string ToolCallBegin = "<｜tool▁call▁begin｜>";
    public const string ToolCallEnd = "<｜tool▁call▁end｜>";
    public const string ToolSep = "<｜tool▁sep｜>";
    public const string ToolOutputsBegin = "<｜tool▁outputs▁begin｜>";
    public const string ToolOutputsEnd = "<｜tool▁outputs▁end｜>";
    public const string ToolOutputBegin = "<｜tool▁output▁begin｜>";
    public const string ToolOutputEnd = "<｜tool▁output▁end｜>";

    /// <summary>system, user, assistant (with its reasoning inline), user.</summary>
    public static readonly ChatMessage[] ChatTurns =
    [
        new("system", "You are terse."),
        new("user", "hi"),
        new("assistant", "<think>\nr1\n</think>\n\nHello!"),
        new("user", "2+2?"),
    ];

    /// <summary>ChatTurns without the system message.</summary>
    public static ChatMessage[] ChatNoSystem => ChatTurns[1..];

    /// <summary>user, assistant calling get_weather, tool result. <paramref name="assistantContent"/> is null for
    /// the DeepSeek templates (they test "content is none") and "" for the Qwen ones (they call string methods on it).</summary>
    public static ChatMessage[] ToolUse(string? assistantContent, object? arguments = null) =>
    [
        new("user", "Weather in Paris?"),
        new("assistant", assistantContent) { ToolCalls = [new ChatToolCall("get_weather", arguments ?? "{\"city\": \"Paris\"}", "call_1")] },
        new("tool", "18C") { ToolCallId = "call_1" },
    ];

    public const string ToolsJson =
        """[{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]}}}]""";

    /// <summary>The OpenAI "tools" array, as a JsonElement (what a server would pass through).</summary>
    public static Dictionary<string, object?> WithTools(params (string Key, object? Value)[] more)
    {
        var extra = new Dictionary<string, object?> { ["tools"] = JsonDocument.Parse(ToolsJson).RootElement.Clone() };
        foreach (var (k, v) in more) extra[k] = v;
        return extra;
    }

    public static Dictionary<string, object?> Vars(params (string Key, object? Value)[] vars) =>
        vars.ToDictionary(v => v.Key, v => v.Value);
}
