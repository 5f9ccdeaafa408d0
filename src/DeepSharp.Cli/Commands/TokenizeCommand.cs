using System.Globalization;
using System.Text;
using DeepSharp.Gguf;
using DeepSharp.Tokenizers;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp tokenize</c>: token ids of a text, or of every case of a llama.cpp test file (<c>.inp</c>), printed
/// as llama.cpp's test-tokenizer-0 writes its <c>.out</c> files: each id preceded by one space, one line per case.
/// </summary>
internal static class TokenizeCommand
{
    private const string CaseSeparator = "__ggml_vocab_test__";

    public static int Run(string[] args, TextWriter output)
    {
        var a = CliArgs.Parse("tokenize", args, ["model", "text", "inp"], ["special", "no-bos"]);
        string model = a.RequireExistingFile("model");
        if (a.Has("text") == a.Has("inp"))
            throw new CliException("tokenize: give exactly one of --text TEXT or --inp FILE.inp");
        using var file = GgufFile.Open(model);
        var tokenizer = Tokenizer.FromGguf(file.Metadata);
        bool special = a.Has("special");
        var text = new StringBuilder();
        if (a.GetString("text") is { } input)
        {
            // A single text follows llama-tokenize: BOS per the model unless --no-bos.
            text.Append(FormatIds(tokenizer.Encode(input, addSpecial: !a.Has("no-bos"), parseSpecial: special)));
        }
        else
        {
            // The .inp cases follow test-tokenizer-0: no BOS unless asked for, one line per case.
            string inp = a.RequireExistingFile("inp");
            foreach (string testCase in ReadCases(File.ReadAllText(inp, Encoding.UTF8)))
                text.Append(FormatIds(tokenizer.Encode(testCase, addSpecial: false, parseSpecial: special)));
        }
        output.Write(text.ToString());
        return 0;
    }

    /// <summary>Splits llama.cpp's vocab test input: every case is followed by a line "__ggml_vocab_test__".</summary>
    internal static IEnumerable<string> ReadCases(string content)
    {
        string[] parts = content.Split("\n" + CaseSeparator + "\n");
        // The text after the last separator is not a case (it is empty in llama.cpp's files).
        return parts.Length > 1 ? parts[..^1] : parts;
    }

    private static string FormatIds(int[] ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids) sb.Append(' ').Append(id.ToString(CultureInfo.InvariantCulture));
        return sb.Append('\n').ToString();
    }
}
