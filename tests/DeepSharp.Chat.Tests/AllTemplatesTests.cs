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
        var template = TemplateFiles.Load(file);
        bool deepSeekStyle = template.Source.Contains(Assistant, StringComparison.Ordinal);
        string text = template.Render(ToolUse(deepSeekStyle ? null : ""), addGenerationPrompt: true, Bos, Eos, WithTools());
        Assert.Contains("get_weather", text, StringComparison.Ordinal);
        Assert.Contains("18C", text, StringComparison.Ordinal);
        Assert.Contains("Paris", text, StringComparison.Ordinal);
    }
}
