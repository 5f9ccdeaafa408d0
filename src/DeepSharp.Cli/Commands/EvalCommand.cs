using System.Globalization;
using DeepSharp.Reasoning.Datasets;
using DeepSharp.Reasoning.Evaluation;
using DeepSharp.Reasoning.Tasks;
using DeepSharp.Runtime;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp eval</c>: the R1 paper's protocol (k samples at temperature 0.6, top-p 0.95; pass@1 averaged over
/// samples, cons@k by majority vote) on a dataset or a task's held-out set, with a model in this process or an
/// OpenAI-compatible endpoint. Progress on stderr, results resumable in --out, the table on stdout.
/// </summary>
internal static class EvalCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = CliArgs.Parse("eval", args,
            [.. ReasoningCli.SourceOptions, "dataset", "task", "samples", "limit", "concurrency", "out", "summary"], []);
        var set = LoadSet(a);
        using var responder = ReasoningCli.CreateResponder(a, "eval");
        var options = new EvalOptions(
            Samples: a.GetInt("samples", 1, 1, 100_000),
            Concurrency: a.GetInt("concurrency", 1, 1, 4096),
            OutPath: a.GetString("out"),
            Seed: a.GetULong("seed") ?? 0);
        var bar = new ProgressLine(stderr, "problems");
        var evaluator = new Evaluator(responder, options)
        {
            Progress = new SynchronousProgress<EvalProgress>(p =>
                bar.Show(p.Done, p.Total, p.Sampled == 0 ? "" : $"pass@1 so far {100.0 * p.Correct / p.Sampled:0.0}%")),
        };
        var report = evaluator.RunAsync(set).GetAwaiter().GetResult();
        bar.End();
        stdout.Write(EvalSummary.ToTable(report));
        if (a.GetString("summary") is { } summaryPath)
            File.WriteAllText(summaryPath, EvalSummary.ToJson(report) + "\n");
        return 0;
    }

    private static EvalSet LoadSet(CliArgs a)
    {
        int limit = a.GetInt("limit", int.MaxValue, 1, int.MaxValue);
        try
        {
            if (a.GetString("task") is { } task)
                return DatasetLoader.ForTask(TaskRegistry.Get(task), limit == int.MaxValue ? 500 : limit);
            if (a.GetString("dataset") is { } dataset)
                return DatasetLoader.Load(dataset, limit);
        }
        catch (DatasetFormatException e)
        {
            throw new CliException(e.Message);
        }
        throw new CliException($"eval: give --dataset ({string.Join(", ", DatasetLoader.Names)} or a .jsonl file) or --task ({string.Join(", ", TaskRegistry.Names)})");
    }
}

/// <summary>Options and helpers shared by eval and distill: where responses come from and how they are sampled.</summary>
internal static class ReasoningCli
{
    public static readonly string[] SourceOptions =
    [
        "model", "teacher", "endpoint", "api-key", "served-model", "threads", "ctx", "kv-type",
        "temperature", "top-p", "max-tokens", "seed", "retries", "timeout",
    ];

    /// <summary>A model file (--model, or --teacher for distill) in this process, or --endpoint.</summary>
    public static IResponder CreateResponder(CliArgs a, string command, int maxInFlightFallback = 1)
    {
        var settings = new GenerationSettings(
            a.GetFloat("temperature", 0, 100) ?? 0.6f, a.GetFloat("top-p", 0, 1) ?? 0.95f,
            a.GetInt("max-tokens", 32768, 1, 1 << 22));
        int concurrency = a.GetInt("concurrency", maxInFlightFallback, 1, 4096);
        if (a.GetString("endpoint") is { } endpoint)
        {
            var retry = new RetryPolicy(a.GetInt("retries", 5, 1, 100), TimeSpan.FromSeconds(1),
                TimeSpan.FromSeconds(a.GetInt("timeout", 1800, 1, 86_400)));
            return new EndpointResponder(endpoint, settings, a.GetString("api-key"), a.GetString("served-model"), concurrency, retry);
        }
        string option = a.Has("teacher") ? "teacher" : "model";
        if (!a.Has(option))
            throw new CliException($"{command}: give --{(command == "distill" ? "teacher" : "model")} FILE.gguf or --endpoint URL");
        string path = a.RequireExistingFile(option);
        var model = ChatModel.Load(path, ModelArgs.Load(a));
        return new LocalModelResponder(model, settings, concurrency, ownsModel: true) { Source = Path.GetFileName(path) };
    }
}

/// <summary>A one-line progress bar redrawn in place on stderr.</summary>
internal sealed class ProgressLine(TextWriter stderr, string unit)
{
    private const int Width = 30;
    private bool _drawn;

    public void Show(int done, int total, string detail)
    {
        int filled = total == 0 ? Width : (int)((long)Width * done / total);
        string line = string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('.', Width - filled)}] {done}/{total} {unit} {detail}");
        stderr.Write(line);
        stderr.Flush();
        _drawn = true;
    }

    public void End()
    {
        if (_drawn)
            stderr.WriteLine();
    }
}

/// <summary>IProgress that reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
