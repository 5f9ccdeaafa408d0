using System.Text;
using DeepSharp.Sampling;
using DeepSharp.Server.Backend;

namespace DeepSharp.Server.Scheduling;

/// <summary>What one decode step decided: the event to send, and either the token to append or the finish reason.</summary>
internal readonly record struct StepOutcome(TokenEvent? Event, int Token, string? FinishReason);

/// <summary>
/// The per-sequence state of one choice: its own sampler (and seed), detokenizer, stop strings, reasoning router,
/// logprobs and JSON constraint. The scheduler feeds it each step's logits; it never touches the KV cache itself,
/// so a batched forward pass can later drive many of these in one step.
/// </summary>
internal sealed class SequenceRun
{
    private const int JsonRetries = 16;

    private readonly IModelBackend _backend;
    private readonly GenerationRequest _request;
    private readonly int _choice;
    private readonly SamplerChain _sampler;
    private readonly ITokenDecoder _decoder;
    private readonly StopStringMatcher? _stops;
    private readonly OutputRouter _router;
    private readonly JsonPrefix? _json;
    private float[]? _masked;

    public SequenceRun(IModelBackend backend, GenerationRequest request, int choice)
    {
        _backend = backend;
        _request = request;
        _choice = choice;
        // Choice i of a seeded request uses seed + i, so n > 1 gives different but reproducible answers.
        var sampling = request.Sampling.Seed is ulong seed ? request.Sampling with { Seed = seed + (ulong)choice } : request.Sampling;
        _sampler = sampling.CreateChain().Chain;
        _decoder = backend.CreateDecoder();
        _stops = request.Stop.Count > 0 ? new StopStringMatcher(request.Stop) : null;
        _router = new OutputRouter(request.ReasoningFormat, request.StartsInReasoning);
        _json = request.JsonObject ? new JsonPrefix() : null;
    }

    public int Generated { get; private set; }
    public int ReasoningTokens { get; private set; }

    /// <summary>Samples the next token from <paramref name="logits"/>; <paramref name="remaining"/> is the free KV room.</summary>
    public StepOutcome Step(ReadOnlySpan<float> logits, int remaining)
    {
        bool constrained = _json is not null && _router.InContent;
        int token = constrained ? SampleJson(logits) : _sampler.Sample(logits);
        var logprob = _request.TopLogprobs >= 0 ? Logprobs.Compute(logits, token, _request.TopLogprobs, _backend) : null;
        _sampler.Accept(token);
        Generated++;
        if (!_router.InContent) ReasoningTokens++;
        if (_backend.IsEndOfGeneration(token)) return Finish("stop", logprob);

        string piece = _decoder.Push(token);
        if (_stops is not null) piece = _stops.Push(piece).Text;
        var (reasoning, content) = _router.Push(piece);
        if (constrained) _json!.TryPush(Encoding.UTF8.GetString(_backend.TokenBytes(token)));
        var e = new TokenEvent(_choice, reasoning, content, logprob);

        if (_stops?.Stopped == true || _json?.IsComplete == true) return Finish("stop", logprob, e);
        if (Generated >= _request.MaxTokens || remaining < 1) return Finish("length", logprob, e);
        return new StepOutcome(e, token, null);
    }

    /// <summary>Releases held-back text; the result is the last event of this choice.</summary>
    private StepOutcome Finish(string reason, TokenLogprob? logprob, TokenEvent? last = null)
    {
        string rest = _decoder.Flush();
        if (_stops is not null) rest = _stops.Stopped ? "" : _stops.Push(rest).Text + _stops.Flush();
        var (r1, c1) = _router.Push(rest);
        var (r2, c2) = _router.Flush();
        string reasoning = (last?.Reasoning ?? "") + r1 + r2;
        string content = (last?.Content ?? "") + c1 + c2;
        var e = new TokenEvent(_choice, reasoning, content, last?.Logprob ?? logprob);
        return new StepOutcome(e, -1, reason);
    }

    /// <summary>
    /// Samples a token whose text keeps the answer a JSON-object prefix: draw, and if the draw breaks the JSON, mask it
    /// and draw again; after a few misses mask every breaking token at once. An end-of-generation token is allowed
    /// only once the object is complete (which ends the choice anyway), so it is always masked here.
    /// </summary>
    private int SampleJson(ReadOnlySpan<float> logits)
    {
        _masked ??= new float[logits.Length];
        logits.CopyTo(_masked);
        for (int attempt = 0; attempt < JsonRetries; attempt++)
        {
            int token = _sampler.Sample(_masked);
            if (KeepsJson(token)) return token;
            _masked[token] = float.NegativeInfinity;
        }
        bool any = false;
        for (int id = 0; id < _masked.Length; id++)
        {
            if (float.IsNegativeInfinity(_masked[id])) continue;
            if (KeepsJson(id)) any = true;
            else _masked[id] = float.NegativeInfinity;
        }
        // No token continues the JSON (a tiny vocabulary): fall back to the model's choice rather than fail.
        return any ? _sampler.Sample(_masked) : _sampler.Sample(logits);
    }

    private bool KeepsJson(int token)
    {
        if (_backend.IsEndOfGeneration(token)) return false;
        string text = Encoding.UTF8.GetString(_backend.TokenBytes(token));
        return text.Length > 0 && _json!.Clone().TryPush(text);
    }
}
