namespace DeepSharp.Reasoning.Evaluation;

/// <summary>The figures of an evaluation (the R1 paper's pass@1 and cons@k, with 95% intervals).</summary>
/// <remarks>PassAt1: Mean over problems of the fraction of correct samples.</remarks>
/// <remarks>PassCiLow: 2.5th percentile of pass@1 over 2,000 bootstrap resamples of the problems (seed 0).</remarks>
/// <remarks>ConsAtK: Fraction of problems whose majority-vote answer is correct.</remarks>
/// <remarks>ConsCiLow: Wilson score interval (z = 1.96) of cons@k, a proportion over problems.</remarks>
public sealed record EvalStatistics(
    int Problems, double SamplesPerProblem, double PassAt1, double PassCiLow, double PassCiHigh,
    double ConsAtK, double ConsCiLow, double ConsCiHigh, double MeanReasoningChars, double MeanAnswerChars,
    double? MeanCompletionTokens, int Samples, int Unclosed, int NoAnswer, int Errors)
{
    private const double Z95 = 1.959964;
    private const int BootstrapResamples = 2000;

    public static EvalStatistics Compute(IReadOnlyList<ProblemResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var samples = results.SelectMany(r => r.Samples).ToList();
        var passRates = results.Select(r => r.PassRate).ToArray();
        double pass = passRates.Length == 0 ? 0 : passRates.Average();
        var (passLow, passHigh) = BootstrapMeanInterval(passRates);
        int consCorrect = results.Count(r => r.MajorityCorrect);
        double cons = results.Count == 0 ? 0 : consCorrect / (double)results.Count;
        var (consLow, consHigh) = WilsonInterval(consCorrect, results.Count);
        var tokens = samples.Where(s => s.CompletionTokens is not null).Select(s => (double)s.CompletionTokens!.Value).ToList();
        return new EvalStatistics(
            results.Count, results.Count == 0 ? 0 : samples.Count / (double)results.Count, pass, passLow, passHigh,
            cons, consLow, consHigh,
            samples.Count == 0 ? 0 : samples.Average(s => s.ReasoningChars),
            samples.Count == 0 ? 0 : samples.Average(s => s.AnswerChars),
            tokens.Count == 0 ? null : tokens.Average(),
            samples.Count,
            samples.Count(s => s.Flag == SampleFlags.Unclosed),
            samples.Count(s => s.Flag == SampleFlags.NoAnswer),
            samples.Count(s => s.Flag?.StartsWith(SampleFlags.Error, StringComparison.Ordinal) == true));
    }

    /// <summary>Wilson score interval for <paramref name="successes"/> out of <paramref name="n"/> at 95%.</summary>
    public static (double Low, double High) WilsonInterval(int successes, int n)
    {
        if (n == 0)
            return (0, 0);
        double p = successes / (double)n, z2 = Z95 * Z95;
        double denominator = 1 + z2 / n;
        double centre = (p + z2 / (2 * n)) / denominator;
        double half = Z95 * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>Percentile bootstrap (2,000 resamples, fixed seed) of the mean of per-problem scores.</summary>
    public static (double Low, double High) BootstrapMeanInterval(IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0)
            return (0, 0);
        var rng = new Random(0);
        var means = new double[BootstrapResamples];
        for (int b = 0; b < BootstrapResamples; b++)
        {
            double sum = 0;
            for (int i = 0; i < scores.Count; i++)
                sum += scores[rng.Next(scores.Count)];
            means[b] = sum / scores.Count;
        }
        Array.Sort(means);
        return (means[(int)(0.025 * (BootstrapResamples - 1))], means[(int)Math.Ceiling(0.975 * (BootstrapResamples - 1))]);
    }
}
