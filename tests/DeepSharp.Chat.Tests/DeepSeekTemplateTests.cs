using static DeepSharp.Chat.Tests.Conversations;

namespace DeepSharp.Chat.Tests;

/// <summary>
/// Exact renders of the DeepSeek templates. Each expected string is derived by reading the template: which
/// markers it writes, whether it drops earlier reasoning, and how the generation prompt ends.
/// </summary>
public class DeepSeekTemplateTests
{
    const string R1QwenOld = "llama.cpp-2025-02/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja";
    const string R1LlamaOld = "llama.cpp-2025-02/deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja";
    const string R1QwenNew = "llama.cpp-fork-2026-07/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja";
    const string R1LlamaNew = "llama.cpp-fork-2026-07/deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja";
    const string LlamaCppR1Old = "llama.cpp-2025-02/llama-cpp-deepseek-r1.jinja";
    const string LlamaCppR1New = "llama.cpp-fork-2026-07/llama-cpp-deepseek-r1.jinja";
    const string V3 = "DeepSeek-V3_from_lenml_tokenizer_config.jinja";
    const string V31 = "llama.cpp-fork-2026-07/deepseek-ai-DeepSeek-V3.1.jinja";
    const string V32 = "llama.cpp-fork-2026-07/deepseek-ai-DeepSeek-V3.2.jinja";

    static string Render(string file, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true,
        IReadOnlyDictionary<string, object?>? extra = null) =>
        TemplateFiles.Load(file).Render(messages, addGenerationPrompt, Bos, Eos, extra);

    [Fact]
    public void Special_tokens_are_quoted_with_fullwidth_bar_and_lower_block()
    {
        Assert.Equal("<\uFF5CUser\uFF5C>", User);
        Assert.Equal("<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>", Bos);
        Assert.Contains(Assistant + "<think>\\n", TemplateFiles.Read(R1QwenOld), StringComparison.Ordinal);
    }

    // R1-Distill (both the 2025-02 HF version and the Llama one of 2026-07): BOS, the system text with no marker,
    // <｜User｜>text, <｜Assistant｜>answer<｜end▁of▁sentence｜> where the answer is what follows </think>
    // (so the "\n\n" after </think> stays), and a generation prompt forced open with "<think>\n".
    [Theory]
    [InlineData(R1QwenOld)]
    [InlineData(R1LlamaOld)]
    [InlineData(R1LlamaNew)]
    public void R1_distill_drops_earlier_reasoning_and_forces_think_open(string file)
    {
        string expected = Bos + "You are terse." + User + "hi" + Assistant + "\n\nHello!" + Eos + User + "2+2?" + Assistant + "<think>\n";
        Assert.Equal(expected, Render(file, ChatTurns));
    }

    [Fact]
    public void R1_distill_without_system_starts_with_bos_then_user()
    {
        Assert.Equal(Bos + User + "hi" + Assistant + "\n\nHello!" + Eos + User + "2+2?",
            Render(R1QwenOld, ChatNoSystem, addGenerationPrompt: false));
    }

    [Fact]
    public void R1_distill_keeps_only_the_last_system_message()
    {
        ChatMessage[] messages = [new("system", "first"), new("user", "hi"), new("system", "second")];
        Assert.Equal(Bos + "second" + User + "hi" + Assistant + "<think>\n", Render(R1QwenOld, messages));
    }

    // The 2026-07 R1-Distill-Qwen template closes the thought unless enable_thinking is truthy.
    [Fact]
    public void R1_distill_qwen_2026_closes_think_unless_enable_thinking()
    {
        string history = Bos + "You are terse." + User + "hi" + Assistant + "\n\nHello!" + Eos + User + "2+2?";
        Assert.Equal(history + Assistant + "<think>\n</think>", Render(R1QwenNew, ChatTurns));
        Assert.Equal(history + Assistant + "<think>\n", Render(R1QwenNew, ChatTurns, extra: Vars(("enable_thinking", true))));
        Assert.Equal(history + Assistant + "<think>\n</think>", Render(R1QwenNew, ChatTurns, extra: Vars(("enable_thinking", false))));
    }

    // A single call: the 2025-02 template writes the calls-end marker only for the second and later calls.
    // After tool outputs it closes them and writes no generation prompt.
    [Fact]
    public void R1_distill_2025_tool_call_and_output()
    {
        string expected = Bos + User + "Weather in Paris?"
            + Assistant + ToolCallsBegin + ToolCallBegin + "function" + ToolSep + "get_weather\n```json\n{\"city\": \"Paris\"}\n```" + ToolCallEnd
            + ToolOutputsBegin + ToolOutputBegin + "18C" + ToolOutputEnd + ToolOutputsEnd;
        Assert.Equal(expected, Render(R1QwenOld, ToolUse(null)));
    }

    [Fact]
    public void R1_distill_2025_answer_after_tool_output_closes_outputs()
    {
        ChatMessage[] messages = [.. ToolUse(null), new("assistant", "It is 18C."), new("user", "Thanks")];
        string expected = Bos + User + "Weather in Paris?"
            + Assistant + ToolCallsBegin + ToolCallBegin + "function" + ToolSep + "get_weather\n```json\n{\"city\": \"Paris\"}\n```" + ToolCallEnd
            + ToolOutputsBegin + ToolOutputBegin + "18C" + ToolOutputEnd
            + ToolOutputsEnd + "It is 18C." + Eos + User + "Thanks" + Assistant + "<think>\n";
        Assert.Equal(expected, Render(R1QwenOld, messages));
    }

    // The 2026-07 Qwen version applies tojson to the arguments, so they are passed as an object; JSON text given
    // by the caller is parsed first (and re-serialized with Python's ", " / ": " separators).
    [Fact]
    public void R1_distill_qwen_2026_tool_call_serializes_object_arguments()
    {
        var template = TemplateFiles.Load(R1QwenNew);
        Assert.True(template.ToolArgumentsAsObject);
        Assert.False(TemplateFiles.Load(R1QwenOld).ToolArgumentsAsObject);
        string expected = Bos + User + "Weather in Paris?"
            + Assistant + ToolCallsBegin + ToolCallBegin + "function" + ToolSep + "get_weather\n```json\n{\"city\": \"Paris\"}\n```" + ToolCallEnd
            + ToolCallsEnd + Eos
            + ToolOutputsBegin + ToolOutputBegin + "18C" + ToolOutputEnd + ToolOutputsEnd;
        Assert.Equal(expected, template.Render(ToolUse(null, "{\"city\":\"Paris\"}"), true, Bos, Eos));
    }

    // Arguments given as an object are serialized (Python json.dumps style) for templates that concatenate text.
    [Fact]
    public void Object_arguments_are_serialized_for_text_templates()
    {
        var arguments = System.Text.Json.JsonDocument.Parse("{\"city\":\"Paris\",\"days\":[1,2]}").RootElement;
        string text = Render(R1QwenOld, ToolUse(null, arguments));
        Assert.Contains("get_weather\n```json\n{\"city\": \"Paris\", \"days\": [1, 2]}\n```" + ToolCallEnd, text, StringComparison.Ordinal);
    }

    // llama.cpp's own R1 template also closes every user turn with <｜end▁of▁sentence｜>.
    [Theory]
    [InlineData(LlamaCppR1Old)]
    [InlineData(LlamaCppR1New)]
    public void Llama_cpp_r1_template_chat(string file)
    {
        string expected = Bos + "You are terse." + User + "hi" + Eos + Assistant + "\n\nHello!" + Eos + User + "2+2?" + Eos + Assistant + "<think>\n";
        Assert.Equal(expected, Render(file, ChatTurns));
    }

    [Theory]
    [InlineData(LlamaCppR1Old)]
    [InlineData(LlamaCppR1New)]
    public void Llama_cpp_r1_template_tools(string file)
    {
        const string functionsJson = """
            [
              {
                "name": "get_weather",
                "description": "Get the weather",
                "parameters": {
                  "type": "object",
                  "properties": {
                    "city": {
                      "type": "string",
                      "description": "City name"
                    }
                  },
                  "required": [
                    "city"
                  ]
                }
              }
            ]
            """;
        string preamble = "You can call any of the following function tools to satisfy the user's requests: " + functionsJson
            + "\n\nExample function tool call syntax:\n\n" + ToolCallsBegin + ToolCallBegin + "function" + ToolSep + "example_function_name\n"
            + "```json\n{\n  \"arg1\": \"some_value\"\n  ...\n}\n```\n" + ToolCallEnd + ToolCallsEnd + "\n\n";
        string expected = Bos + preamble + User + "Weather in Paris?" + Eos
            + Assistant + ToolCallsBegin + ToolCallBegin + "function" + ToolSep + "get_weather\n```json\n{\"city\": \"Paris\"}\n```" + ToolCallEnd
            + ToolCallsEnd + Eos
            + ToolOutputsBegin + "\n" + ToolOutputBegin + "18C" + ToolOutputEnd + ToolOutputsEnd + Eos
            + Assistant + "<think>\n";
        Assert.Equal(expected, Render(file, ToolUse(null), extra: WithTools()));
    }

    // The V3 template from the HF tokenizer config keeps assistant text verbatim and prompts with a bare
    // <｜Assistant｜>; several system messages are joined by a blank line.
    [Fact]
    public void V3_keeps_content_and_prompts_with_bare_assistant()
    {
        string expected = Bos + "You are terse." + User + "hi" + Assistant + "<think>\nr1\n</think>\n\nHello!" + Eos + User + "2+2?" + Assistant;
        Assert.Equal(expected, Render(V3, ChatTurns));
        ChatMessage[] twoSystems = [new("system", "A"), new("system", "B"), new("user", "hi")];
        Assert.Equal(Bos + "A\n\nB" + User + "hi" + Assistant, Render(V3, twoSystems));
    }

    [Fact]
    public void V3_tool_call_and_output()
    {
        string expected = Bos + User + "Weather in Paris?"
            + Assistant + ToolCallsBegin + ToolCallBegin + "function" + ToolSep + "get_weather\n```json\n{\"city\": \"Paris\"}\n```" + ToolCallEnd
            + ToolOutputsBegin + ToolOutputBegin + "18C" + ToolOutputEnd + ToolOutputsEnd;
        Assert.Equal(expected, Render(V3, ToolUse(null)));
    }

    // V3.1: <think></think> marks non-thinking turns; `thinking` (or enable_thinking) opens the prompt with <think>.
    [Fact]
    public void V31_thinking_flag_controls_the_prompt()
    {
        string history = Bos + "You are terse." + User + "hi" + Assistant + "<think></think>\n\nHello!" + Eos + User + "2+2?" + Assistant;
        Assert.Equal(history + "<think></think>", Render(V31, ChatTurns));
        Assert.Equal(history + "<think>", Render(V31, ChatTurns, extra: Vars(("thinking", true))));
        Assert.Equal(history + "<think>", Render(V31, ChatTurns, extra: Vars(("enable_thinking", true))));
        Assert.Equal(history + "<think></think>", Render(V31, ChatTurns, extra: Vars(("thinking", false), ("enable_thinking", true))));
    }

    [Fact]
    public void V31_tool_call_and_output()
    {
        string expected = Bos + User + "Weather in Paris?" + Assistant + "<think></think>"
            + ToolCallsBegin + ToolCallBegin + "get_weather" + ToolSep + "{\"city\": \"Paris\"}" + ToolCallEnd + ToolCallsEnd + Eos
            + ToolOutputBegin + "18C" + ToolOutputEnd;
        Assert.Equal(expected, Render(V31, ToolUse(null)));
    }

    // V3.2 writes </think> before each earlier answer and prints content verbatim.
    [Fact]
    public void V32_chat_and_thinking_prompt()
    {
        string history = Bos + "You are terse." + User + "hi" + Assistant + "</think>" + "<think>\nr1\n</think>\n\nHello!" + Eos + User + "2+2?" + Assistant;
        Assert.Equal(history + "<think></think>", Render(V32, ChatTurns));
        Assert.Equal(history + "<think>", Render(V32, ChatTurns, extra: Vars(("thinking", true))));
    }

    [Fact]
    public void V32_replays_reasoning_content_after_the_last_user_turn_when_thinking()
    {
        ChatMessage[] messages = [new("user", "hi"), new("assistant", "Hello!", ReasoningContent: "r1")];
        Assert.Equal(Bos + User + "hi" + Assistant + "<think>r1</think>Hello!" + Eos,
            Render(V32, messages, addGenerationPrompt: false, extra: Vars(("thinking", true))));
        Assert.Equal(Bos + User + "hi" + Assistant + "</think>Hello!" + Eos,
            Render(V32, messages, addGenerationPrompt: false));
    }

    [Fact]
    public void V32_tool_call_uses_dsml_invoke_blocks()
    {
        const string dsml = "｜DSML｜";
        string expected = Bos + User + "Weather in Paris?" + Assistant + "</think>"
            + "\n\n<" + dsml + "function_calls>\n"
            + "<" + dsml + "invoke name=\"get_weather\">\n"
            + "<" + dsml + "parameter name=\"city\" string=\"true\">Paris</" + dsml + "parameter>\n"
            + "</" + dsml + "invoke>\n"
            + "</" + dsml + "function_calls>" + Eos
            + "\n\n<function_results>\n<result>18C</result>\n</function_results>"
            + "\n\n<think></think>";
        Assert.Equal(expected, Render(V32, ToolUse(null)));
    }

    [Fact]
    public void V32_tools_header_lists_function_schemas()
    {
        string text = Render(V32, [new("user", "hi")], extra: WithTools());
        const string schema = """{"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]}}""";
        Assert.StartsWith(Bos + "## Tools\n\nYou have access to a set of tools", text, StringComparison.Ordinal);
        Assert.EndsWith("<functions>\n" + schema + "\n</functions>\n" + User + "hi" + Assistant + "<think></think>", text, StringComparison.Ordinal);
    }
}
