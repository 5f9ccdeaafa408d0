using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeepSharp.Reasoning.Evaluation;

/// <summary>
/// The resumable per-problem results JSONL of <c>deepsharp eval --out</c>: one object per finished problem
/// (<c>id</c>, <c>reference</c>, <c>pass_rate</c>, <c>majority</c>, <c>majority_correct</c>, <c>samples</c> with
/// <c>response</c>, <c>extracted</c>, <c>correct</c>, <c>flag</c>, lengths). A rerun keeps the problems already
/// there, except those with a failed (error) sample, which are run again; a torn last line is ignored.
/// </summary>
public static class ResultsFile
{
    public static Dictionary<string, ProblemResult> LoadFinished(string path)
    {
        var finished = new Dictionary<string, ProblemResult>(StringComparer.Ordinal);
        if (!File.Exists(path))
            return finished;
        foreach (string line in File.ReadLines(path))
        {
            if (TryParse(line) is { } result)
            {
                if (result.Samples.Any(s => s.Flag?.StartsWith(SampleFlags.Error, StringComparison.Ordinal) == true))
                    finished.Remove(result.Id);
                else
                    finished[result.Id] = result;
            }
        }
        return finished;
    }

    public static string ToLine(ProblemResult result, IReadOnlyList<string> responses)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(responses);
        var samples = new JsonArray();
        for (int i = 0; i < result.Samples.Count; i++)
        {
            var s = result.Samples[i];
            samples.Add(new JsonObject
            {
                ["response"] = i < responses.Count ? responses[i] : "",
                ["extracted"] = s.Extracted,
                ["correct"] = s.Correct,
                ["flag"] = s.Flag,
                ["reasoning_chars"] = s.ReasoningChars,
                ["answer_chars"] = s.AnswerChars,
                ["completion_tokens"] = s.CompletionTokens,
            });
        }
        return new JsonObject
        {
            ["id"] = result.Id,
            ["reference"] = result.Reference,
            ["pass_rate"] = result.PassRate,
            ["majority"] = result.MajorityAnswer,
            ["majority_correct"] = result.MajorityCorrect,
            ["samples"] = samples,
        }.ToJsonString();
    }

    private static ProblemResult? TryParse(string line)
    {
        try
        {
            var o = JsonNode.Parse(line)!.AsObject();
            var samples = o["samples"]!.AsArray().Select(n => new SampleResult(
                n!["correct"]!.GetValue<bool>(), n["extracted"]?.GetValue<string>(), n["flag"]?.GetValue<string>(),
                n["reasoning_chars"]!.GetValue<int>(), n["answer_chars"]!.GetValue<int>(),
                n["completion_tokens"]?.GetValue<int>())).ToList();
            return new ProblemResult(o["id"]!.GetValue<string>(), o["reference"]!.GetValue<string>(), samples,
                o["majority"]?.GetValue<string>(), o["majority_correct"]!.GetValue<bool>());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            return null;
        }
    }
}
