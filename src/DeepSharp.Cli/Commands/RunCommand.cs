using DeepSharp.Chat;
using DeepSharp.Runtime;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp run --model FILE --prompt TEXT</c>: one chat turn through the model's template; the reasoning streams
/// first, marked as thinking, then the answer; speed goes to stderr.
/// </summary>
internal static class RunCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = CliArgs.Parse("run", args, [.. ModelArgs.Valued, "prompt", "system", "max-tokens"], ["no-color"]);
        string path = ModelArgs.ModelPath(a);
        string prompt = a.Require("prompt");
        int maxTokens = a.GetInt("max-tokens", 2048, 1, int.MaxValue);
        var load = ModelArgs.Load(a);

        using var model = ChatModel.Load(path, load);
        var sampling = ModelArgs.Sampling(a, model.DefaultSampling);
        var messages = new List<ChatMessage>();
        if (a.GetString("system") is { } system) messages.Add(new ChatMessage("system", system));
        messages.Add(new ChatMessage("user", prompt));

        string rendered = model.RenderChat(messages);
        int[] ids = model.TokenizePrompt(rendered);
        using var session = model.Model.CreateSession();
        var options = new GenerationOptions
        {
            MaxTokens = maxTokens,
            Sampling = sampling,
            StartsInReasoning = ChatModel.EndsInReasoning(rendered),
        };
        var display = new ReasoningDisplay(stdout, color: !a.Has("no-color") && !Console.IsOutputRedirected);
        var result = display.Show(Generator.Generate(session, model.Tokenizer, ids, options));
        stderr.WriteLine(Stats.Format(result));
        return 0;
    }
}
