using DeepSharp.Cli.Commands;

namespace DeepSharp.Cli;

/// <summary>The <c>deepsharp</c> command: one subcommand per job, errors as one line on stderr.</summary>
internal static class Program
{
    private const string Usage = """
        usage: deepsharp <command> [options]

        commands:
          info FILE.gguf                         architecture, parameters, tensor types, context, template, special tokens
          tokenize --model FILE (--text TEXT | --inp FILE.inp) [--special] [--no-bos]
        """;

    private static int Main(string[] args)
    {
        Console.OutputEncoding = System.Text.Encoding.UTF8;
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.Write(Usage);
            return args.Length == 0 ? 1 : 0;
        }
        try
        {
            return Dispatch(args[0], args[1..]);
        }
        catch (Exception e) when (IsUserFacing(e))
        {
            Console.Error.WriteLine($"deepsharp: error: {e.Message}");
            if (Environment.GetEnvironmentVariable("DEEPSHARP_DEBUG") == "1") Console.Error.WriteLine(e);
            return 1;
        }
    }

    private static int Dispatch(string command, string[] rest) => command switch
    {
        "info" => InfoCommand.Run(rest, Console.Out),
        "tokenize" => TokenizeCommand.Run(rest, Console.Out),
        _ => throw new CliException($"unknown command '{command}' (try 'deepsharp --help')"),
    };

    // Everything the program can say in one line. Bugs (NullReference and friends) still show a stack trace.
    private static bool IsUserFacing(Exception e) =>
        e is CliException or IOException or UnauthorizedAccessException or InvalidDataException
            or FormatException or ArgumentException or NotSupportedException or InvalidOperationException
        || e.GetType().Name.EndsWith("FormatException", StringComparison.Ordinal)
        || e.GetType().Name.StartsWith("Unsupported", StringComparison.Ordinal)
        || e.GetType().Name.StartsWith("Missing", StringComparison.Ordinal);
}
