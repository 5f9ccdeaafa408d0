using DeepSharp.Reasoning.Datasets;
using DeepSharp.Reasoning.Distillation;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp distill</c>: rejection sampling from a teacher (a GGUF in this process or an OpenAI-compatible
/// endpoint) into the trace JSONL that <c>deepsharp train sft</c> and Hugging Face TRL read. Only traces whose final
/// answer checks out are kept (unless --keep-unverified), duplicates are dropped, and a rerun resumes.
/// </summary>
internal static class DistillCommand
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = CliArgs.Parse("distill", args,
            [.. ReasoningCli.SourceOptions, "dataset", "task", "samples", "limit", "concurrency", "out"], ["keep-unverified"]);
        string output = a.Require("out");
        var set = LoadProblems(a);
        using var responder = ReasoningCli.CreateResponder(a, "distill", maxInFlightFallback: 4);
        var options = new DistillOptions(output, a.GetInt("samples", 1, 1, 100_000), a.GetInt("concurrency", 4, 1, 4096),
            a.GetULong("seed") ?? 0, a.Has("keep-unverified"));
        var bar = new ProgressLine(stderr, "problems");
        var distiller = new Distiller(responder, options)
        {
            Progress = new SynchronousProgress<DistillProgress>(p => bar.Show(p.Done, p.Total, $"{p.Written} traces kept")),
        };
        var r = distiller.RunAsync(set).GetAwaiter().GetResult();
        bar.End();
        stdout.WriteLine($"problems {r.Problems} ({r.Skipped} already done), responses {r.Generated}, verified {r.Verified}, " +
            $"written {r.Written}, duplicates {r.Duplicates}, malformed {r.Malformed}, failed requests {r.Errors}");
        if (r.FailedProblems > 0)
            stderr.WriteLine($"deepsharp: {r.FailedProblems} problems had requests that failed after retries; rerun the same command to retry them");
        return 0;
    }

    // A task distils from freshly generated training problems (never its held-out set); a dataset from its file.
    private static EvalSet LoadProblems(CliArgs a)
    {
        int limit = a.GetInt("limit", int.MaxValue, 1, int.MaxValue);
        try
        {
            if (a.GetString("task") is { } task)
                return DatasetLoader.ForTraining(TaskRegistry.Get(task), limit == int.MaxValue ? 1000 : limit, (int)(a.GetULong("seed") ?? 0));
            if (a.GetString("dataset") is { } dataset)
                return DatasetLoader.Load(dataset, limit);
        }
        catch (DatasetFormatException e)
        {
            throw new CliException(e.Message);
        }
        throw new CliException("distill: give --dataset FILE.jsonl|NAME or --task T (problems to sample the teacher on)");
    }
}
