using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace DeepSharp.Reasoning.Evaluation;

/// <summary>The summary table printed by <c>deepsharp eval</c> and the <c>--summary</c> JSON.</summary>
public static class EvalSummary
{
    public static string ToJson(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Statistics;
        return new JsonObject
        {
            ["dataset"] = report.Dataset,
            ["model"] = report.Source,
            ["n"] = s.Problems,
            ["k"] = s.SamplesPerProblem,
            ["pass_at_1"] = s.PassAt1,
            ["cons_at_k"] = s.ConsAtK,
            ["ci_low"] = s.PassCiLow,
            ["ci_high"] = s.PassCiHigh,
            ["ci_method"] = "95% percentile bootstrap of pass@1 over problems (2000 resamples, seed 0)",
            ["cons_ci_low"] = s.ConsCiLow,
            ["cons_ci_high"] = s.ConsCiHigh,
            ["cons_ci_method"] = "95% Wilson score interval",
            ["mean_reasoning_chars"] = s.MeanReasoningChars,
            ["mean_answer_chars"] = s.MeanAnswerChars,
            ["mean_completion_tokens"] = s.MeanCompletionTokens,
            ["samples"] = s.Samples,
            ["unclosed_think"] = s.Unclosed,
            ["no_answer"] = s.NoAnswer,
            ["errors"] = s.Errors,
        }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    public static string ToTable(EvalReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Statistics;
        var text = new StringBuilder();
        string k = s.SamplesPerProblem.ToString("0.##", CultureInfo.InvariantCulture);
        Line(text, "dataset", $"{report.Dataset} ({s.Problems} problems × {k} samples) — {report.Source}");
        Line(text, "pass@1", $"{Pct(s.PassAt1)}  [95% CI {Pct(s.PassCiLow)} – {Pct(s.PassCiHigh)}, bootstrap]");
        Line(text, $"cons@{k}", $"{Pct(s.ConsAtK)}  [95% CI {Pct(s.ConsCiLow)} – {Pct(s.ConsCiHigh)}, Wilson]");
        Line(text, "reasoning", $"{s.MeanReasoningChars:0} chars mean" + (s.MeanCompletionTokens is double t ? $" ({t:0} completion tokens)" : ""));
        Line(text, "answer", $"{s.MeanAnswerChars:0} chars mean");
        Line(text, "flagged", $"{s.Unclosed} unclosed <think>, {s.NoAnswer} without answer, {s.Errors} errors (all counted wrong)");
        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, string value) =>
        text.Append(CultureInfo.InvariantCulture, $"{name,-10} {value}\n");

    private static string Pct(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
