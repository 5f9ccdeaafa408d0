using System.Xml.Linq;
using DeepSharp.Oracle;

namespace DeepSharp.Cli.Tests;

/// <summary>
/// Rules of the layout (../shared/STYLE.md) that a compiler does not check: unsafe code stays in the kernel and
/// format projects, the engine never references the server, and llama.cpp is only ever a test/benchmark oracle.
/// </summary>
public class RepositoryRulesTests
{
    private static readonly string Src = Path.Combine(TestPaths.RepositoryRoot, "src");

    private static IEnumerable<(string Name, XDocument Project)> SourceProjects() =>
        Directory.GetFiles(Src, "*.csproj", SearchOption.AllDirectories)
            .Select(p => (Path.GetFileNameWithoutExtension(p), XDocument.Load(p)));

    [Fact]
    public void Unsafe_code_is_allowed_only_in_core_gguf_and_kernels()
    {
        string[] allowed = ["DeepSharp.Core", "DeepSharp.Gguf", "DeepSharp.Kernels"];
        var unsafeProjects = SourceProjects()
            .Where(p => p.Project.Descendants("AllowUnsafeBlocks").Any(e => e.Value.Trim() == "true"))
            .Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(allowed, unsafeProjects);
    }

    [Fact]
    public void Only_the_command_line_references_the_server()
    {
        var referencing = SourceProjects()
            .Where(p => p.Project.Descendants("ProjectReference")
                .Any(r => r.Attribute("Include")?.Value.Contains("DeepSharp.Server", StringComparison.Ordinal) == true))
            .Select(p => p.Name).ToArray();
        Assert.Equal(["DeepSharp.Cli"], referencing);
    }

    [Fact]
    public void No_source_project_uses_a_native_inference_library()
    {
        foreach (var (name, project) in SourceProjects())
        {
            var packages = project.Descendants("PackageReference").Select(r => r.Attribute("Include")?.Value ?? "");
            Assert.DoesNotContain(packages, p => p.StartsWith("LLamaSharp", StringComparison.OrdinalIgnoreCase)
                || p.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase));
            Assert.False(name.Length == 0);
        }
        foreach (string file in Directory.GetFiles(Src, "*.cs", SearchOption.AllDirectories))
        {
            string text = File.ReadAllText(file);
            Assert.False(text.Contains("using LLama", StringComparison.Ordinal), $"{file} uses LLamaSharp");
            int imports = Count(text, "[DllImport") + Count(text, "[LibraryImport");
            int allowed = file.EndsWith(OsMemoryHintFile, StringComparison.Ordinal) ? Count(text, OsMemoryHint) : 0;
            Assert.True(imports == allowed, $"{file} calls native code");
        }
    }

    // The one native call the engine makes: the operating system's madvise, to ask for 2 MiB pages for the weights
    // (StreamedMemory) — a hint about memory, which no managed API gives; the computing stays managed.
    private const string OsMemoryHintFile = "src/DeepSharp.Kernels/StreamedMemory.cs";
    private const string OsMemoryHint = "[LibraryImport(\"libc\", EntryPoint = \"madvise\")]";

    private static int Count(string text, string what)
    {
        int n = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
