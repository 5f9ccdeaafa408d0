using System.Globalization;
using System.Text.Json;
using DeepSharp.Reasoning.Grading;
using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Datasets;

/// <summary>
/// Opens an evaluation set by name (gsm8k, math500, aime24, countdown, arithmetic — the copies under
/// shared/corpora/eval, or a task's held-out set) or from a JSONL file whose format is recognised by its fields:
/// <c>nums</c>+<c>target</c> (Countdown), <c>question</c>+<c>answer</c> with <c>####</c> (GSM8K),
/// <c>problem</c>+<c>answer</c> (MATH-500, AIME). A line missing a field is reported with its number.
/// </summary>
public static class DatasetLoader
{
    private static readonly Dictionary<string, string> KnownFiles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gsm8k"] = "gsm8k/test.jsonl",
        ["math500"] = "math500/test.jsonl",
        ["math-500"] = "math500/test.jsonl",
        ["aime24"] = "aime24/test.jsonl",
        ["aime2024"] = "aime24/test.jsonl",
    };

    /// <summary>The names <see cref="Load"/> accepts besides file paths.</summary>
    public static IReadOnlyList<string> Names => ["gsm8k", "math500", "aime24", .. TaskRegistry.Names];

    public static EvalSet Load(string nameOrPath, int limit = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        if (TaskRegistry.Names.Contains(nameOrPath, StringComparer.OrdinalIgnoreCase) && !File.Exists(nameOrPath))
            return ForTask(TaskRegistry.Get(nameOrPath), limit == int.MaxValue ? 500 : limit);
        string path = ResolvePath(nameOrPath);
        string name = KnownFiles.ContainsKey(nameOrPath) ? nameOrPath.ToLowerInvariant() : Path.GetFileNameWithoutExtension(path);
        return LoadFile(path, name, limit);
    }

    /// <summary>A task's held-out problems.</summary>
    public static EvalSet ForTask(IReasoningTask task, int limit)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new TaskEvalSet(task, task.HeldOut(limit));
    }

    /// <summary>
    /// <paramref name="count"/> distinct training problems of a task (never held-out ones), generated from
    /// <paramref name="seed"/>: what distillation samples a teacher on.
    /// </summary>
    public static EvalSet ForTraining(IReasoningTask task, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(task);
        var rng = new Random(seed);
        var problems = new List<Problem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int attempts = 0; problems.Count < count && attempts < count * 20; attempts++)
        {
            var p = task.Generate(rng);
            if (ids.Add(p.Id))
                problems.Add(p);
        }
        return new TaskEvalSet(task, problems);
    }

    private static string ResolvePath(string nameOrPath)
    {
        if (File.Exists(nameOrPath))
            return nameOrPath;
        if (KnownFiles.TryGetValue(nameOrPath, out string? relative))
        {
            return CorporaLocator.FindEvalFile(relative)
                ?? throw new FileNotFoundException($"dataset '{nameOrPath}' not found: set DEEPSHARP_CORPORA to the shared/corpora folder");
        }
        throw new FileNotFoundException($"no dataset file '{nameOrPath}' (names: {string.Join(", ", Names)})");
    }

    private static EvalSet LoadFile(string path, string name, int limit)
    {
        string? first = File.ReadLines(path).FirstOrDefault(l => !string.IsNullOrWhiteSpace(l));
        if (first is null)
            throw new DatasetFormatException(path, 1, "empty dataset");
        using (var doc = JsonDocument.Parse(first))
        {
            if (doc.RootElement.TryGetProperty("nums", out _))
            {
                var task = new CountdownTask(path);
                return new TaskEvalSet(task, task.HeldOut(limit));
            }
        }
        var problems = JsonlFile.Read(path, MathProblem).Take(limit).ToList();
        return new MathEvalSet(name, problems);
    }

    // GSM8K: question + answer whose reference follows "####"; MATH-500/AIME: problem + answer (+ unique_id / id).
    private static Problem MathProblem(JsonElement obj, int line)
    {
        string question = JsonlFile.Text(obj, "problem", "question");
        string answer = JsonlFile.Text(obj, "answer");
        if (answer.Contains("####", StringComparison.Ordinal))
            answer = MathAnswer.Gsm8kReference(answer) ?? throw new FormatException("empty answer after ####");
        string id = obj.TryGetProperty("unique_id", out var uid) ? uid.ToString()
            : obj.TryGetProperty("id", out var plainId) ? plainId.ToString()
            : line.ToString(CultureInfo.InvariantCulture);
        return new Problem(id, question, answer);
    }
}
