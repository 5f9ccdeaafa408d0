using System.Diagnostics;
using DeepSharp.Chat;
using DeepSharp.Models;
using DeepSharp.Sampling;
using DeepSharp.Tokenizers;

namespace DeepSharp.Runtime;

/// <summary>
/// Generation as a stream of events: prompt → forward pass → sampler → token → text (UTF-8 safe) → stop strings →
/// reasoning/content split. The session keeps the KV cache, so a caller can continue a conversation in it.
/// </summary>
public static class Generator
{
    public static IEnumerable<GenerationEvent> Generate(
        Session session, Tokenizer tokenizer, IReadOnlyList<int> prompt, GenerationOptions options,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxTokens);
        if (prompt.Count == 0) throw new ArgumentException("the prompt has no tokens", nameof(prompt));
        // Room for the prompt and at least one generated token.
        if (prompt.Count >= session.Remaining) throw new PromptTooLongException(prompt.Count, session.Remaining - 1);
        return Run(session, tokenizer, [.. prompt], options, cancellation);
    }

    private static IEnumerable<GenerationEvent> Run(
        Session session, Tokenizer tokenizer, int[] prompt, GenerationOptions options, CancellationToken cancellation)
    {
        var build = options.Sampling.CreateChain();
        SamplerChain sampler = build.Chain;
        var text = new TextPipeline(tokenizer, options);
        var generated = new List<int>();

        var clock = Stopwatch.StartNew();
        session.Prefill(prompt);
        double promptSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();

        FinishReason finish;
        while (true)
        {
            if (cancellation.IsCancellationRequested) { finish = FinishReason.Cancelled; break; }
            if (generated.Count >= options.MaxTokens) { finish = FinishReason.Length; break; }
            int token = sampler.Sample(session.Logits);
            sampler.Accept(token);
            generated.Add(token);
            if (tokenizer.IsEndOfGeneration(token)) { finish = FinishReason.EndOfGeneration; break; }
            foreach (var e in text.Push(token)) yield return e;
            if (text.Stopped) { finish = FinishReason.StopString; break; }
            if (generated.Count >= options.MaxTokens) { finish = FinishReason.Length; break; }
            // The token just generated needs a KV slot of its own before the next one can be predicted.
            if (session.IsFull) { finish = FinishReason.ContextFull; break; }
            session.Decode(token);
        }

        foreach (var e in text.Flush()) yield return e;
        var result = new GenerationResult(finish, prompt.Length, promptSeconds, generated.Count, clock.Elapsed.TotalSeconds,
            generated, build.Seed);
        yield return new GenerationEvent(GenerationEventKind.Finished, "", result);
    }

    /// <summary>Token ids → UTF-8-safe text → stop strings → reasoning/content events.</summary>
    private sealed class TextPipeline(Tokenizer tokenizer, GenerationOptions options)
    {
        private readonly StreamingDecoder _decoder = new(tokenizer);
        private readonly StopStringMatcher? _stops = options.StopStrings.Count > 0 ? new StopStringMatcher(options.StopStrings) : null;
        private readonly ReasoningSplitter? _splitter = options.SplitReasoning ? new ReasoningSplitter(options.StartsInReasoning) : null;

        public bool Stopped => _stops?.Stopped == true;

        public IEnumerable<GenerationEvent> Push(int token)
        {
            string piece = _decoder.Push(token);
            if (_stops is not null) piece = _stops.Push(piece).Text;
            return Route(piece, final: false);
        }

        public IEnumerable<GenerationEvent> Flush()
        {
            string rest = _decoder.Flush();
            if (_stops is not null) rest = Stopped ? "" : _stops.Push(rest).Text + _stops.Flush();
            return Route(rest, final: true);
        }

        private IEnumerable<GenerationEvent> Route(string piece, bool final)
        {
            if (_splitter is null)
            {
                if (piece.Length > 0) yield return new GenerationEvent(GenerationEventKind.Content, piece);
                yield break;
            }
            var delta = _splitter.Push(piece);
            if (final)
            {
                var tail = _splitter.Flush();
                delta = new ReasoningDelta(delta.Reasoning + tail.Reasoning, delta.Content + tail.Content);
            }
            if (delta.Reasoning.Length > 0) yield return new GenerationEvent(GenerationEventKind.Reasoning, delta.Reasoning);
            if (delta.Content.Length > 0) yield return new GenerationEvent(GenerationEventKind.Content, delta.Content);
        }
    }
}
