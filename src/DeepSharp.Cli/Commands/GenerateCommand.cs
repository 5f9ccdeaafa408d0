using System.Globalization;
using DeepSharp.Runtime;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp generate</c>: raw completion, no chat template. <c>--format text</c> prints the prompt and its
/// continuation (as llama.cpp's simple example does); <c>--format ids</c> prints the generated ids on one line.
/// </summary>
internal static class GenerateCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = CliArgs.Parse("generate", args, [.. ModelArgs.Valued, "prompt", "ids", "max-tokens", "format"], []);
        string path = a.RequireExistingFile("model");
        if (a.Has("prompt") == a.Has("ids")) throw new CliException("generate: give exactly one of --prompt TEXT or --ids \"1 2 3\"");
        string format = a.GetString("format") ?? "text";
        if (format is not ("text" or "ids")) throw new CliException($"generate: --format must be text or ids, got '{format}'");
        int maxTokens = a.GetInt("max-tokens", 128, 1, int.MaxValue);

        using var model = ChatModel.Load(path, ModelArgs.Load(a));
        int[] ids = a.GetString("ids") is { } idText ? CliArgs.ParseIds("generate", idText) : model.TokenizePrompt(a.Require("prompt"));
        CheckIds(ids, model.Tokenizer.VocabSize);
        var options = new GenerationOptions
        {
            MaxTokens = maxTokens,
            Sampling = ModelArgs.Sampling(a, model.DefaultSampling),
            SplitReasoning = false,
        };
        using var session = model.Model.CreateSession();
        var events = Generator.Generate(session, model.Tokenizer, ids, options);
        GenerationResult result = format == "ids" ? PrintIds(events, stdout) : PrintText(events, stdout, model, ids);
        stderr.WriteLine(Stats.Format(result));
        return 0;
    }

    internal static void CheckIds(int[] ids, int vocabSize)
    {
        foreach (int id in ids)
        {
            if (id >= vocabSize) throw new CliException($"token id {id} is outside the vocabulary (size {vocabSize})");
        }
    }

    private static GenerationResult PrintText(IEnumerable<GenerationEvent> events, TextWriter stdout, ChatModel model, int[] prompt)
    {
        stdout.Write(model.Tokenizer.Decode(prompt));
        GenerationResult? result = null;
        foreach (var e in events)
        {
            if (e.Kind == GenerationEventKind.Finished) result = e.Result;
            else stdout.Write(e.Text);
            stdout.Flush();
        }
        stdout.WriteLine();
        return result!;
    }

    private static GenerationResult PrintIds(IEnumerable<GenerationEvent> events, TextWriter stdout)
    {
        GenerationResult result = events.Last().Result!;
        stdout.WriteLine(string.Join(' ', result.Tokens.Select(t => t.ToString(CultureInfo.InvariantCulture))));
        return result;
    }
}
