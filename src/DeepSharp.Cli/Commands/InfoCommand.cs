using System.Globalization;
using System.Text;
using DeepSharp.Core.Quant;
using DeepSharp.Gguf;

namespace DeepSharp.Cli.Commands;

/// <summary><c>deepsharp info FILE.gguf</c>: what a model file holds, without loading weights.</summary>
internal static class InfoCommand
{
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length != 1 || args[0].StartsWith('-'))
            throw new CliException("info: usage: deepsharp info FILE.gguf");
        string path = args[0];
        if (!File.Exists(path)) throw new CliException($"info: file not found: {path}");
        using var file = GgufFile.Open(path);
        output.Write(Describe(file));
        return 0;
    }

    internal static string Describe(GgufFile file)
    {
        var md = file.Metadata;
        string arch = md.GetStringOrNull("general.architecture") ?? "(none)";
        var sb = new StringBuilder();
        Line(sb, "file", $"{file.Path} (GGUF v{file.Version}, {file.Tensors.Count} tensors, {md.Count} metadata keys)");
        Line(sb, "name", md.GetStringOrNull("general.name") ?? "(none)");
        Line(sb, "architecture", arch);
        Line(sb, "parameters", FormatCount(file.Tensors.Sum(t => t.ElementCount)));
        Line(sb, "tensor types", TensorTypes(file));
        Line(sb, "context length", md.ContainsKey($"{arch}.context_length") ? Num(md.GetInt64($"{arch}.context_length")) : "(not set)");
        foreach (string key in new[] { "embedding_length", "block_count", "attention.head_count", "attention.head_count_kv", "feed_forward_length" })
        {
            if (md.ContainsKey($"{arch}.{key}")) Line(sb, key, Num(md.GetInt64($"{arch}.{key}")));
        }
        foreach (var (label, value) in MoeInfo.Describe(file, arch)) Line(sb, label, value);
        Line(sb, "tokenizer", Tokenizer(md));
        Line(sb, "special tokens", SpecialTokens(md));
        string? template = md.GetStringOrNull("tokenizer.chat_template");
        Line(sb, "chat template", template is null ? "(none)" : $"{template.Length} characters{TemplateHint(template)}");
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string label, string value) =>
        sb.Append(CultureInfo.InvariantCulture, $"{label,-16} {value}\n");

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string FormatCount(long n) => n switch
    {
        >= 1_000_000_000 => $"{Num(n)} ({(n / 1e9).ToString("0.00", CultureInfo.InvariantCulture)} B)",
        >= 1_000_000 => $"{Num(n)} ({(n / 1e6).ToString("0.00", CultureInfo.InvariantCulture)} M)",
        >= 1_000 => $"{Num(n)} ({(n / 1e3).ToString("0.00", CultureInfo.InvariantCulture)} K)",
        _ => Num(n),
    };

    private static string TensorTypes(GgufFile file) => string.Join(", ",
        file.Tensors.GroupBy(t => t.Type).OrderByDescending(g => g.Count())
            .Select(g => $"{QuantName(g.Key)}×{g.Count().ToString(CultureInfo.InvariantCulture)}"));

    private static string QuantName(QuantType t) => QuantTypeInfo.TryGet(t)?.Name ?? $"type{(int)t}";

    private static string Tokenizer(GgufMetadata md)
    {
        string model = md.GetStringOrNull("tokenizer.ggml.model") ?? "(none)";
        string pre = md.GetStringOrNull("tokenizer.ggml.pre") ?? "default";
        int n = md.ContainsKey("tokenizer.ggml.tokens") ? md["tokenizer.ggml.tokens"].Count : 0;
        return $"{model} (pre-tokenizer {pre}, {Num(n)} tokens)";
    }

    private static string SpecialTokens(GgufMetadata md)
    {
        string[]? tokens = md.ContainsKey("tokenizer.ggml.tokens") ? md.GetStringArray("tokenizer.ggml.tokens") : null;
        var parts = new List<string>();
        foreach (string kind in new[] { "bos", "eos", "eot", "eom", "unknown", "padding" })
        {
            string key = $"tokenizer.ggml.{kind}_token_id";
            if (!md.ContainsKey(key)) continue;
            long id = md.GetInt64(key);
            if (id is < 0 or >= uint.MaxValue) continue; // -1 (often stored as u32 0xFFFFFFFF) means "no such token"
            string text = tokens is not null && id >= 0 && id < tokens.Length ? $" '{tokens[id]}'" : "";
            parts.Add($"{kind}={Num(id)}{text}");
        }
        return parts.Count == 0 ? "(none)" : string.Join(", ", parts);
    }

    private static string TemplateHint(string template) =>
        template.Contains("<think>", StringComparison.Ordinal) ? ", reasoning (<think>)" : "";
}
