using System.Text.Json.Nodes;
using DeepSharp.Reasoning.Datasets;
using DeepSharp.Reasoning.Evaluation;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Distillation;

/// <summary>
/// How distillation runs: k samples per problem, at most <paramref name="Concurrency"/> requests together; with
/// <paramref name="KeepUnverified"/> every well-formed trace is written (marked <c>"verified":false</c> when wrong),
/// which is the "unfiltered" baseline the rejection-sampled set is compared with.
/// </summary>
public sealed record DistillOptions(string OutPath, int Samples = 1, int Concurrency = 4, ulong Seed = 0, bool KeepUnverified = false);

/// <summary>Counts of a distillation run (this run only; resumed problems are counted as skipped).</summary>
public sealed record DistillReport(int Problems, int Skipped, int Generated, int Verified, int Written, int Duplicates, int Malformed, int Errors, int FailedProblems);

/// <summary>Progress after each group of problems.</summary>
public readonly record struct DistillProgress(int Done, int Total, int Written);

/// <summary>
/// Rejection sampling as R1 built its SFT set: sample the teacher, keep a trace only when the task's checker accepts
/// its final answer, drop exact duplicates, append each kept trace to the trace JSONL at once. Problems that are
/// finished (all samples answered, whatever the verdict) are listed in <c>OUT.done</c>, so a rerun skips them;
/// problems with a failed request are not, so a rerun retries them.
/// </summary>
public sealed class Distiller(IResponder responder, DistillOptions options)
{
    private readonly IResponder _responder = responder ?? throw new ArgumentNullException(nameof(responder));
    private readonly DistillOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    public IProgress<DistillProgress>? Progress { get; init; }

    /// <summary>The path of the list of finished problem ids kept beside the traces.</summary>
    public static string DoneListPath(string outPath) => outPath + ".done";

    public async Task<DistillReport> RunAsync(EvalSet set, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        TraceFile.EndTornLine(_options.OutPath);
        var done = LoadLines(DoneListPath(_options.OutPath));
        var seen = TraceFile.LoadKeys(_options.OutPath);
        var pending = set.Problems.Where(p => !done.Contains(p.Id)).ToList();
        var counts = new Counts { Skipped = set.Problems.Count - pending.Count };
        int k = Math.Max(1, _options.Samples), perGroup = Math.Max(1, _options.Concurrency / k), finished = counts.Skipped;
        Progress?.Report(new DistillProgress(finished, set.Problems.Count, 0));
        foreach (var group in pending.Chunk(perGroup))
        {
            var requests = group.SelectMany(p => Enumerable.Range(0, k).Select(j =>
                new ResponseRequest(set.Prompt(p), _options.Seed * 1_000_003UL + (ulong)StableHash.Of(p.Id) * 31UL + (ulong)j))).ToList();
            var completions = await _responder.RespondAsync(requests, cancellation).ConfigureAwait(false);
            for (int i = 0; i < group.Length; i++)
            {
                var lines = Keep(set, group[i], completions.Skip(i * k).Take(k), seen, counts, out bool failed);
                if (lines.Count > 0)
                    await File.AppendAllLinesAsync(_options.OutPath, lines, cancellation).ConfigureAwait(false);
                if (failed)
                    counts.FailedProblems++;
                else
                    await File.AppendAllTextAsync(DoneListPath(_options.OutPath), group[i].Id + "\n", cancellation).ConfigureAwait(false);
            }
            finished += group.Length;
            Progress?.Report(new DistillProgress(finished, set.Problems.Count, counts.Written));
        }
        return new DistillReport(set.Problems.Count, counts.Skipped, counts.Generated, counts.Verified, counts.Written,
            counts.Duplicates, counts.Malformed, counts.Errors, counts.FailedProblems);
    }

    private List<string> Keep(EvalSet set, Problem p, IEnumerable<Completion> completions, HashSet<string> seen, Counts counts, out bool failed)
    {
        failed = false;
        var lines = new List<string>();
        foreach (var (c, sample) in completions.Select((c, j) => (c, j)))
        {
            if (c.Error is not null)
            {
                counts.Errors++;
                failed = true;
                continue;
            }
            counts.Generated++;
            var graded = ResponseGrader.Grade(set, p, c.Response, c.CompletionTokens);
            var parsed = ResponseFormat.Parse(c.Response);
            if (graded.Flag is not null || parsed.Reasoning is null || parsed.Answer is null)
            {
                counts.Malformed++;
                continue;
            }
            if (graded.Correct)
                counts.Verified++;
            else if (!_options.KeepUnverified)
                continue;
            string prompt = set.Prompt(p);
            if (!seen.Add(TraceFile.Key(prompt, parsed.Reasoning, parsed.Answer)))
            {
                counts.Duplicates++;
                continue;
            }
            lines.Add(TraceFile.ToLine($"{p.Id}#{sample}", prompt, parsed.Reasoning, parsed.Answer, _responder.Source, graded.Correct));
            counts.Written++;
        }
        return lines;
    }

    private static HashSet<string> LoadLines(string path) =>
        File.Exists(path) ? [.. File.ReadLines(path).Where(l => l.Length > 0)] : new HashSet<string>(StringComparer.Ordinal);

    private sealed class Counts
    {
        public int Skipped, Generated, Verified, Written, Duplicates, Malformed, Errors, FailedProblems;
    }
}

/// <summary>
/// The trace JSONL (docs/EVAL.md, API2): <c>id</c>, <c>messages</c> (TRL's conversational format: the user prompt and
/// the assistant's "&lt;think&gt;\n…\n&lt;/think&gt;\n\n answer"), <c>prompt</c>, <c>reasoning</c>, <c>answer</c>,
/// <c>source</c>, <c>verified</c>.
/// </summary>
public static class TraceFile
{
    public static string ToLine(string id, string prompt, string reasoning, string answer, string source, bool verified)
    {
        string assistant = ResponseFormat.Compose(new Solution(reasoning, answer));
        return new JsonObject
        {
            ["id"] = id,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = prompt },
                new JsonObject { ["role"] = "assistant", ["content"] = assistant }),
            ["prompt"] = prompt,
            ["reasoning"] = reasoning,
            ["answer"] = answer,
            ["source"] = source,
            ["verified"] = verified,
        }.ToJsonString();
    }

    /// <summary>Ends a last line left without its newline by an interrupted run, so appends start on a new line.</summary>
    public static void EndTornLine(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
            return;
        using var stream = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Seek(-1, SeekOrigin.End);
        if (stream.ReadByte() != '\n')
            stream.WriteByte((byte)'\n');
    }

    /// <summary>What makes two traces the same: prompt, reasoning and answer with whitespace runs collapsed.</summary>
    public static string Key(string prompt, string reasoning, string answer) =>
        string.Join('\u0001', new[] { prompt, reasoning, answer }.Select(Collapse));

    /// <summary>The keys of the traces already in a file (for dedupe across resumed runs); torn lines are skipped.</summary>
    public static HashSet<string> LoadKeys(string path)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(path))
            return keys;
        foreach (string line in File.ReadLines(path))
        {
            try
            {
                var o = JsonNode.Parse(line);
                keys.Add(Key(o!["prompt"]!.GetValue<string>(), o["reasoning"]!.GetValue<string>(), o["answer"]!.GetValue<string>()));
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NullReferenceException)
            {
                // A line torn by an interrupted run: its problem is not in the done list, so it is generated again.
            }
        }
        return keys;
    }

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
