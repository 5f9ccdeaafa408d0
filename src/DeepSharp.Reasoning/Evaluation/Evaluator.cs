using DeepSharp.Reasoning.Datasets;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Evaluation;

/// <summary>How an evaluation runs: <paramref name="Samples"/> per problem (k), how many requests go together.</summary>
/// <remarks>Seed: the base of every sample's seed (sample j of problem p gets a seed derived from both).</remarks>
public sealed record EvalOptions(int Samples = 1, int Concurrency = 1, string? OutPath = null, ulong Seed = 0);

/// <summary>Progress after each finished group of problems.</summary>
public readonly record struct EvalProgress(int Done, int Total, int Correct, int Sampled);

/// <summary>The graded problems of a run (resumed ones included) and their statistics.</summary>
public sealed record EvalReport(string Dataset, string Source, IReadOnlyList<ProblemResult> Results, EvalStatistics Statistics);

/// <summary>
/// Runs the R1 evaluation protocol on an <see cref="EvalSet"/>: k samples per problem, each graded
/// (<see cref="ResponseGrader"/>), pass@1 averaged over samples and cons@k by majority vote
/// (<see cref="EvalStatistics"/>). With an output path every finished problem is appended as one JSONL line at
/// once, and a rerun skips the problems already there. Library entry point for tests and the trainer:
/// <c>await new Evaluator(new LocalModelResponder(model, new GenerationSettings(0.6f, 0.95f, 256), 8), new EvalOptions(Samples: 4, Concurrency: 8)).RunAsync(DatasetLoader.ForTask(task, 100))</c>.
/// </summary>
public sealed class Evaluator(IResponder responder, EvalOptions options)
{
    private readonly IResponder _responder = responder ?? throw new ArgumentNullException(nameof(responder));
    private readonly EvalOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Called after each group of problems finishes.</summary>
    public IProgress<EvalProgress>? Progress { get; init; }

    /// <summary>Evaluates <paramref name="task"/>'s first <paramref name="limit"/> held-out problems.</summary>
    public Task<EvalReport> RunTaskAsync(IReasoningTask task, int limit, CancellationToken cancellation = default) =>
        RunAsync(DatasetLoader.ForTask(task, limit), cancellation);

    public async Task<EvalReport> RunAsync(EvalSet set, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        var finished = _options.OutPath is null ? [] : ResultsFile.LoadFinished(_options.OutPath);
        var results = new Dictionary<string, ProblemResult>(StringComparer.Ordinal);
        foreach (var p in set.Problems)
        {
            if (finished.TryGetValue(p.Id, out var done))
                results[p.Id] = done;
        }
        var pending = set.Problems.Where(p => !results.ContainsKey(p.Id)).ToList();
        int problemsPerGroup = Math.Max(1, _options.Concurrency / Math.Max(1, _options.Samples));
        Report(set, results);
        foreach (var group in pending.Chunk(problemsPerGroup))
        {
            cancellation.ThrowIfCancellationRequested();
            foreach (var result in await RunGroupAsync(set, group, cancellation).ConfigureAwait(false))
                results[result.Id] = result;
            Report(set, results);
        }
        var ordered = set.Problems.Where(p => results.ContainsKey(p.Id)).Select(p => results[p.Id]).ToList();
        return new EvalReport(set.Name, _responder.Source, ordered, EvalStatistics.Compute(ordered));
    }

    private async Task<List<ProblemResult>> RunGroupAsync(EvalSet set, Problem[] group, CancellationToken cancellation)
    {
        int k = Math.Max(1, _options.Samples);
        var requests = group.SelectMany(p => Enumerable.Range(0, k).Select(j => new ResponseRequest(set.Prompt(p), SampleSeed(p, j)))).ToList();
        var completions = await _responder.RespondAsync(requests, cancellation).ConfigureAwait(false);
        var results = new List<ProblemResult>();
        for (int i = 0; i < group.Length; i++)
        {
            var mine = completions.Skip(i * k).Take(k).ToList();
            var samples = mine.Select(c => c.Error is null
                ? ResponseGrader.Grade(set, group[i], c.Response, c.CompletionTokens)
                : ResponseGrader.Failed(c.Error)).ToList();
            var result = ResponseGrader.Combine(set, group[i], samples);
            if (_options.OutPath is not null)
                await File.AppendAllTextAsync(_options.OutPath, ResultsFile.ToLine(result, [.. mine.Select(c => c.Response)]) + "\n", cancellation).ConfigureAwait(false);
            results.Add(result);
        }
        return results;
    }

    private ulong SampleSeed(Problem p, int sample) =>
        _options.Seed * 1_000_003UL + (ulong)StableHash.Of(p.Id) * 31UL + (ulong)sample;

    private void Report(EvalSet set, Dictionary<string, ProblemResult> results) =>
        Progress?.Report(new EvalProgress(results.Count, set.Problems.Count,
            results.Values.Sum(r => r.Samples.Count(s => s.Correct)), results.Values.Sum(r => r.Samples.Count)));
}
