using static DeepSharp.Chat.Tests.Conversations;

namespace DeepSharp.Chat.Tests;

/// <summary>Every template in the corpus parses and renders the common conversation shapes.</summary>
public class AllTemplatesTests
{
    public static TheoryData<string> Templates()
    {
        var data = new TheoryData<string>();
        foreach (string t in TemplateFiles.All()) data.Add(t);
        return data;
    }

    [Fact]
    public void The_corpus_has_all_sixteen_templates()
    {
        Assert.Equal(16, TemplateFiles.All().Count());
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Renders_system_prompt_multi_turn_and_generation_prompt(string file)
    {
        var template = TemplateFiles.Load(file);
        string withPrompt = template.Render(ChatTurns, addGenerationPrompt: true, Bos, Eos);
        string without = template.Render(ChatTurns, addGenerationPrompt: false, Bos, Eos);
        Assert.Contains("You are terse.", withPrompt, StringComparison.Ordinal);
        Assert.Contains("2+2?", withPrompt, StringComparison.Ordinal);
        Assert.StartsWith(without, withPrompt, StringComparison.Ordinal);
        Assert.True(withPrompt.Length > without.Length, "the generation prompt adds text");
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Renders_tool_definitions_calls_and_results(string file)
    {
        // Null content for the tool-call turn, as OpenAI clients send it: templates that need a string get "".
        var template = TemplateFiles.Load(file);
        string text = template.Render(ToolUse(null), addGenerationPrompt: true, Bos, Eos, WithTools());
        Assert.Contains("get_weather", text, StringComparison.Ordinal);
        Assert.Contains("18C", text, StringComparison.Ordinal);
        Assert.Contains("Paris", text, StringComparison.Ordinal);
    }

    // Read off each template: does it iterate list content, apply tojson/items to the arguments (object) or
    // concatenate them (text), and does it call string methods on the content of a tool-call turn?
    [Theory]
    [InlineData("llama.cpp-2025-02/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", false, false, false)]
    [InlineData("llama.cpp-2025-02/deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", false, false, false)]
    [InlineData("llama.cpp-fork-2026-07/deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", false, false, false)]
    [InlineData("llama.cpp-fork-2026-07/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", false, true, false)]
    [InlineData("llama.cpp-2025-02/llama-cpp-deepseek-r1.jinja", false, false, false)]
    [InlineData("llama.cpp-fork-2026-07/llama-cpp-deepseek-r1.jinja", false, true, false)]
    [InlineData("DeepSeek-V3_from_lenml_tokenizer_config.jinja", false, false, false)]
    [InlineData("llama.cpp-fork-2026-07/deepseek-ai-DeepSeek-V3.1.jinja", false, true, false)]
    [InlineData("llama.cpp-fork-2026-07/deepseek-ai-DeepSeek-V3.2.jinja", false, true, false)]
    [InlineData("llama.cpp-2025-02/Qwen-Qwen2.5-7B-Instruct.jinja", false, true, false)]
    [InlineData("llama.cpp-fork-2026-07/Qwen-QwQ-32B.jinja", false, true, true)]
    [InlineData("llama.cpp-fork-2026-07/Qwen-Qwen3-0.6B.jinja", false, true, true)]
    [InlineData("Qwen3_from_lenml_tokenizer_config.jinja", false, true, true)]
    [InlineData("llama.cpp-fork-2026-07/Qwen3-Coder.jinja", false, true, false)]
    [InlineData("llama.cpp-fork-2026-07/Qwen3.5-4B.jinja", true, true, false)]
    public void Detected_capabilities(string file, bool typedContent, bool objectArguments, bool nonNullContent)
    {
        var template = TemplateFiles.Load(file);
        Assert.Equal(typedContent, template.SupportsTypedContent);
        Assert.Equal(objectArguments, template.ToolArgumentsAsObject);
        Assert.Equal(nonNullContent, template.RequiresNonNullContent);
    }
}
