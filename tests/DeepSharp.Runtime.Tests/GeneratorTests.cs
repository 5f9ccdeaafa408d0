using DeepSharp.Models;
using DeepSharp.Oracle;
using DeepSharp.Sampling;

namespace DeepSharp.Runtime.Tests;

/// <summary>
/// Generation semantics on stories260K (a real trained llama model, corpora/models/stories260K): greedy text as
/// llama.cpp and llama2.c produce it, token limits, stop strings, a full context and seeded sampling.
/// </summary>
public sealed class GeneratorTests : IDisposable
{
    private static readonly string Dir = Path.Combine(TestPaths.Corpora, "models", "stories260K");
    private readonly ChatModel _model = ChatModel.Load(Path.Combine(Dir, "stories260K.gguf"), new LoadOptions { Threads = 1 });

    public void Dispose() => _model.Dispose();

    private static int[] PromptIds() =>
        [.. File.ReadAllText(Path.Combine(Dir, "stories260K.llama-tokenize.prompt.ids.txt")).Trim('[', ']', '\n', ' ')
            .Split(',', StringSplitOptions.TrimEntries).Select(int.Parse)];

    private (string Text, GenerationResult Result) Generate(int[] prompt, GenerationOptions options)
    {
        using var session = _model.Model.CreateSession();
        var text = new System.Text.StringBuilder();
        GenerationResult? result = null;
        foreach (var e in Generator.Generate(session, _model.Tokenizer, prompt, options))
        {
            if (e.Kind == GenerationEventKind.Finished) result = e.Result;
            else text.Append(e.Text);
        }
        return (text.ToString(), result!);
    }

    private static GenerationOptions Greedy(int maxTokens) =>
        new() { MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy, SplitReasoning = false };

    [Fact]
    public void Greedy_ids_match_llama2c_run_at_temperature_zero()
    {
        // expected_greedy_prompt_n64.ids.txt: llama2.c's run.c, prompt tokens then 64 greedy tokens (its "achieved tok/s" tail dropped).
        int[] expected = [.. File.ReadAllText(Path.Combine(Dir, "expected_greedy_prompt_n64.ids.txt")).Split("achieved")[0]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
        int[] prompt = PromptIds();
        Assert.Equal(prompt[1..], expected[..(prompt.Length - 1)]);

        var (_, result) = Generate(prompt, Greedy(expected.Length - (prompt.Length - 1)));
        Assert.Equal(expected[(prompt.Length - 1)..], result.Tokens);
    }

    [Fact]
    public void Token_limit_ends_with_length()
    {
        var (_, result) = Generate(PromptIds(), Greedy(5));
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(5, result.GeneratedTokens);
    }

    [Fact]
    public void Stop_string_ends_generation_before_it()
    {
        var (full, _) = Generate(PromptIds(), Greedy(40));
        Assert.Contains(" red ball", full, StringComparison.Ordinal);

        var (text, result) = Generate(PromptIds(), Greedy(40) with { StopStrings = ["red ball"] });
        Assert.Equal(FinishReason.StopString, result.FinishReason);
        Assert.Equal(full[..full.IndexOf("red ball", StringComparison.Ordinal)], text);
    }

    [Fact]
    public void Full_context_ends_with_context_full_not_an_exception()
    {
        // stories260K's context is 128: the prompt and the generated tokens (all but the last are decoded) fill it.
        int[] prompt = PromptIds();
        var (_, result) = Generate(prompt, Greedy(1000));
        Assert.Equal(FinishReason.ContextFull, result.FinishReason);
        Assert.Equal(128 - prompt.Length + 1, result.GeneratedTokens);
    }

    [Fact]
    public void Prompt_longer_than_context_is_rejected_clearly()
    {
        int[] prompt = [.. Enumerable.Repeat(PromptIds(), 20).SelectMany(p => p)];
        using var session = _model.Model.CreateSession();
        var e = Assert.Throws<PromptTooLongException>(() => Generator.Generate(session, _model.Tokenizer, prompt, Greedy(4)));
        Assert.Contains("context", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_seed_same_tokens_other_seed_other_tokens()
    {
        var sampled = new GenerationOptions { MaxTokens = 24, SplitReasoning = false, Sampling = SamplingOptions.R1Defaults with { Temperature = 1.5f, Seed = 7 } };
        var a = Generate(PromptIds(), sampled).Result.Tokens;
        var b = Generate(PromptIds(), sampled).Result.Tokens;
        var c = Generate(PromptIds(), sampled with { Sampling = sampled.Sampling with { Seed = 8 } }).Result.Tokens;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Cancellation_ends_with_cancelled()
    {
        using var cts = new CancellationTokenSource();
        using var session = _model.Model.CreateSession();
        GenerationResult? result = null;
        int pieces = 0;
        foreach (var e in Generator.Generate(session, _model.Tokenizer, PromptIds(), Greedy(100), cts.Token))
        {
            if (e.Kind == GenerationEventKind.Finished) result = e.Result;
            else if (++pieces == 3) cts.Cancel();
        }
        Assert.Equal(FinishReason.Cancelled, result!.FinishReason);
        Assert.True(result.GeneratedTokens < 100);
    }
}
