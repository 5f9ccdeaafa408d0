using DeepSharp.Chat;
using DeepSharp.Models;
using DeepSharp.Runtime;
using DeepSharp.Sampling;

namespace DeepSharp.Reasoning.Evaluation;

/// <summary>
/// Answers with a model in this process: up to <c>maxBatch</c> requests decode together, one
/// <see cref="BatchDecoder"/> step per token for all of them (each weight row read once per step).
/// </summary>
public sealed class LocalModelResponder : IResponder
{
    private readonly ChatModel _model;
    private readonly GenerationSettings _settings;
    private readonly int _maxBatch;
    private readonly bool _ownsModel;
    private BatchDecoder? _batch;

    public LocalModelResponder(ChatModel model, GenerationSettings settings, int maxBatch = 1, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        (_model, _settings, _maxBatch, _ownsModel) = (model, settings, maxBatch, ownsModel);
        Source = model.Model.File.Metadata.GetStringOrNull("general.name") ?? "model";
    }

    public string Source { get; init; }

    public Task<IReadOnlyList<Completion>> RespondAsync(IReadOnlyList<ResponseRequest> requests, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var completions = new List<Completion>(requests.Count);
        foreach (var chunk in requests.Chunk(_maxBatch))
            completions.AddRange(GenerateBatch(chunk, cancellation));
        return Task.FromResult<IReadOnlyList<Completion>>(completions);
    }

    private Completion[] GenerateBatch(ResponseRequest[] requests, CancellationToken cancellation)
    {
        var sequences = new Sequence[requests.Length];
        try
        {
            for (int i = 0; i < requests.Length; i++)
                sequences[i] = Start(requests[i]);
            DecodeUntilDone(sequences, cancellation);
            return [.. sequences.Select(Finish)];
        }
        finally
        {
            foreach (var s in sequences)
                s?.Session.Dispose();
        }
    }

    private Sequence Start(ResponseRequest request)
    {
        string prompt = _model.Template is null ? request.Prompt : _model.RenderChat([new ChatMessage("user", request.Prompt)]);
        int[] ids = _model.TokenizePrompt(prompt);
        var session = _model.Model.CreateSession();
        var sampling = new SamplingOptions { Temperature = _settings.Temperature, TopP = _settings.TopP, Seed = request.Seed };
        var sequence = new Sequence(session, sampling.CreateChain().Chain, ChatModel.EndsInReasoning(prompt));
        if (ids.Length >= session.Remaining)
        {
            sequence.Error = $"prompt of {ids.Length} tokens does not fit the context of {session.ContextSize}";
            sequence.Done = true;
            return sequence;
        }
        session.Prefill(ids);
        return sequence;
    }

    // Sample every live sequence's next token, then append them all in one batched forward pass.
    private void DecodeUntilDone(Sequence[] sequences, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            var live = new List<(Sequence Seq, int Token)>();
            foreach (var s in sequences.Where(s => !s.Done))
            {
                int token = s.Sampler.Sample(s.Session.Logits);
                s.Sampler.Accept(token);
                if (_model.Tokenizer.IsEndOfGeneration(token))
                {
                    s.Done = true;
                    continue;
                }
                s.Tokens.Add(token);
                if (s.Tokens.Count >= _settings.MaxTokens || s.Session.IsFull)
                    s.Done = true;
                else
                    live.Add((s, token));
            }
            if (live.Count == 0)
                return;
            _batch ??= new BatchDecoder(_model.Model, _maxBatch);
            _batch.DecodeStep([.. live.Select(l => l.Seq.Session)], [.. live.Select(l => l.Token)]);
        }
    }

    private Completion Finish(Sequence s)
    {
        if (s.Error is not null)
            return Completion.Failure(s.Error);
        string text = _model.Tokenizer.Decode(s.Tokens.ToArray());
        return new Completion(s.PromptOpenedThink ? "<think>\n" + text : text, s.Tokens.Count);
    }

    public void Dispose()
    {
        if (_ownsModel)
            _model.Dispose();
    }

    private sealed class Sequence(Session session, SamplerChain sampler, bool promptOpenedThink)
    {
        public Session Session { get; } = session;
        public SamplerChain Sampler { get; } = sampler;
        public bool PromptOpenedThink { get; } = promptOpenedThink;
        public List<int> Tokens { get; } = [];
        public bool Done { get; set; }
        public string? Error { get; set; }
    }
}
