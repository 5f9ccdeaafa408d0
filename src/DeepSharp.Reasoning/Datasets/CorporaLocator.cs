namespace DeepSharp.Reasoning.Datasets;

/// <summary>
/// Finds the evaluation copies under <c>shared/corpora/eval</c>: the DEEPSHARP_CORPORA variable (the corpora
/// folder) first, then a <c>shared/corpora</c> folder above the current directory or the program.
/// </summary>
public static class CorporaLocator
{
    /// <summary>The path of <c>corpora/eval/{relative}</c>, or null when no corpora folder is found.</summary>
    public static string? FindEvalFile(string relative)
    {
        foreach (string corpora in Candidates())
        {
            string path = Path.Combine(corpora, "eval", relative);
            if (File.Exists(path))
                return path;
        }
        return null;
    }

    private static IEnumerable<string> Candidates()
    {
        string? configured = Environment.GetEnvironmentVariable("DEEPSHARP_CORPORA");
        if (!string.IsNullOrEmpty(configured))
            yield return configured;
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                yield return Path.Combine(dir.FullName, "shared", "corpora");
        }
    }
}
