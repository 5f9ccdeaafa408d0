namespace DeepSharp.Cli.Tests;

/// <summary>Runs the deepsharp command line in-process and captures what it writes.</summary>
internal static class CliRunner
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args) => RunWithInput("", args);

    /// <summary>Runs with <paramref name="stdin"/> as the standard input (for the interactive chat).</summary>
    public static (int Code, string Stdout, string Stderr) RunWithInput(string stdin, params string[] args)
    {
        using var input = new StringReader(stdin);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = Program.Execute(args, input, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
