namespace DeepSharp.Oracle;

/// <summary>Locates the shared test data (<c>&lt;repo&gt;/../shared/corpora</c>) from any test's output folder.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> CorporaDir = new(FindCorpora);

    /// <summary>The corpora folder (models, tokenizer fixtures, templates ...).</summary>
    public static string Corpora => CorporaDir.Value;

    /// <summary>A path under the corpora folder, e.g. <c>Corpus("models", "stories260K", "stories260K.gguf")</c>.</summary>
    public static string Corpus(params string[] parts) => Path.Combine([Corpora, .. parts]);

    /// <summary>stories260K.gguf, the tiny llama model every project can load.</summary>
    public static string Stories260K => Corpus("models", "stories260K", "stories260K.gguf");

    /// <summary>The root of the repository the tests were built from (the folder holding DeepSharp.slnx).</summary>
    public static string RepositoryRoot =>
        BuildRepositoryRoot() ?? throw new InvalidOperationException("the Oracle assembly does not record its repository root");

    private static string FindCorpora()
    {
        // Walk up from the test binary, then from the repository this assembly was built from (builds may put their
        // output outside the repository, ArtifactsPath=/tmp/...). The shared folder sits beside the repository root.
        string[] starts = [AppContext.BaseDirectory, BuildRepositoryRoot() ?? AppContext.BaseDirectory];
        foreach (string start in starts)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "corpora");
                if (Directory.Exists(candidate))
                    return candidate;
            }
        }
        throw new DirectoryNotFoundException($"no shared/corpora folder above {AppContext.BaseDirectory} or the repository");
    }

    private static string? BuildRepositoryRoot() =>
        typeof(TestPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "DeepSharpRepositoryRoot")?.Value;
}
