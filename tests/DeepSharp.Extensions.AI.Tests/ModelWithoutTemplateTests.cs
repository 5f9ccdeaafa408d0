using DeepSharp.Models;
using DeepSharp.Oracle;
using Microsoft.Extensions.AI;

namespace DeepSharp.Extensions.AI.Tests;

/// <summary>
/// stories260K (corpora/models/stories260K: real trained llama2.c weights, a base model without a chat template).
/// </summary>
public sealed class ModelWithoutTemplateTests
{
    private static readonly string Dir = TestPaths.Corpus("models", "stories260K");
    private static readonly string ModelPath = Path.Combine(Dir, "stories260K.gguf");

    [Fact]
    public void Loading_a_model_without_a_chat_template_says_so_and_how_to_fix_it()
    {
        var e = Assert.Throws<InvalidOperationException>(() => DeepSharpChatClient.Load(ModelPath, new LoadOptions { Threads = 1 }));
        Assert.Contains("stories260K.gguf has no chat template", e.Message, StringComparison.Ordinal);
        Assert.Contains("DeepSharpChatClientOptions.ChatTemplate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_template_given_the_greedy_story_is_llama2c_own()
    {
        // The template passes the user's text through, so the prompt is the story's opening as llama2.c saw it.
        var options = new DeepSharpChatClientOptions { ChatTemplate = "{% for m in messages %}{{ m['content'] }}{% endfor %}" };
        using IChatClient client = DeepSharpChatClient.Load(ModelPath, new LoadOptions { Threads = 1 }, options);

        // expected_greedy_prompt_n64.txt: llama2.c's run.c at temperature 0 on the prompt "Once upon a time, there was a";
        // its .ids.txt holds the prompt's 8 tokens (BOS left out), then what it generated.
        const string prompt = "Once upon a time, there was a";
        string expected = File.ReadAllText(Path.Combine(Dir, "expected_greedy_prompt_n64.txt"));
        int expectedIds = File.ReadAllText(Path.Combine(Dir, "expected_greedy_prompt_n64.ids.txt")).Split("achieved")[0]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        int generated = expectedIds - 8;

        var response = await client.GetResponseAsync(prompt, new ChatOptions { Temperature = 0, MaxOutputTokens = generated });

        Assert.Equal(expected.TrimEnd('\n'), prompt + response.Text);
        Assert.Equal(generated, response.Usage!.OutputTokenCount);
        Assert.Equal(9, response.Usage.InputTokenCount); // BOS + the prompt's 8 tokens
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }
}
