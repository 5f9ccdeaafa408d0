using System.Reflection;

namespace DeepSharp.Chat.Tests;

/// <summary>The chat templates under shared/corpora/templates (copied from llama.cpp and HF tokenizer configs).</summary>
internal static class TemplateFiles
{
    static readonly Lazy<string> Root = new(FindRoot);

    public static string Dir => Root.Value;

    public static string PathOf(string relative) => Path.Combine(Dir, relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    public static ChatTemplate Load(string relative) => ChatTemplate.Parse(Read(relative));

    /// <summary>Every *.jinja file, as paths relative to the templates folder.</summary>
    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(Dir, "*.jinja", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Dir, p))
            .Order(StringComparer.Ordinal);

    static string FindRoot()
    {
        string? repo = typeof(TemplateFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "DeepSharpRepositoryRoot")?.Value;
        foreach (string start in new[] { AppContext.BaseDirectory, repo ?? AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared", "corpora", "templates");
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        throw new DirectoryNotFoundException("no shared/corpora/templates folder above the tests or the repository");
    }
}
