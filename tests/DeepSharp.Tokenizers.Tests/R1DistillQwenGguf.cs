using System.Text.Json;
using DeepSharp.Gguf;

namespace DeepSharp.Tokenizers.Tests;

/// <summary>
/// An R1-Distill-Qwen tokenizer GGUF, generated for tests: the Qwen2 base vocabulary and merges from the Qwen3
/// tokenizer.json (ids 0..151642, identical per SOURCES.md), DeepSeek's added tokens at 151643..151664 as listed in
/// corpora/templates/NOTES-r1-distill-qwen-tokens.md, padding to 151936 (the 1.5B's vocab). Token types follow
/// llama.cpp's convert_hf_to_gguf.py: special or special-looking (&lt;|…|&gt;, &lt;｜…｜&gt;) added tokens are
/// control, other added tokens user-defined, padding unused. Written with GgufWriter and read back with GgufFile.
/// </summary>
internal static class R1DistillQwenGguf
{
    public const int Bos = 151646, Eos = 151643, User = 151644, Assistant = 151645, Think = 151648, EndThink = 151649;
    public const int FimPad = 151662, RepoName = 151663, FileSep = 151664;

    private static readonly (string Text, bool Special)[] Added =
    [
        ("<｜end▁of▁sentence｜>", true), ("<｜User｜>", false), ("<｜Assistant｜>", false), ("<｜begin▁of▁sentence｜>", true),
        ("<|EOT|>", false), ("<think>", false), ("</think>", false),
        ("<|quad_start|>", true), ("<|quad_end|>", true), ("<|vision_start|>", true), ("<|vision_end|>", true),
        ("<|vision_pad|>", true), ("<|image_pad|>", true), ("<|video_pad|>", true),
        ("<tool_call>", false), ("</tool_call>", false), ("<|fim_prefix|>", false), ("<|fim_middle|>", false),
        ("<|fim_suffix|>", false), ("<|fim_pad|>", false), ("<|repo_name|>", false), ("<|file_sep|>", false),
    ];

    private static readonly Lazy<Tokenizer> Loaded = new(Build);

    public static Tokenizer Tokenizer => Loaded.Value;

    private static Tokenizer Build()
    {
        string path = Path.Combine(Path.GetTempPath(), $"deepsharp-r1-distill-qwen-vocab-{Environment.ProcessId}.gguf");
        try
        {
            using (var stream = File.Create(path))
            {
                var writer = new GgufWriter(stream);
                foreach (var (key, value) in Metadata()) writer.Add(key, value);
                writer.WriteHeader();
                writer.Finish();
            }
            using var file = GgufFile.Open(path);
            return Tokenizer.FromGguf(file.Metadata);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IEnumerable<(string, GgufValue)> Metadata()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(Corpus.Qwen2Json));
        var model = json.RootElement.GetProperty("model");
        var tokens = new string[151936];
        var types = new int[tokens.Length];
        foreach (var p in model.GetProperty("vocab").EnumerateObject())
        {
            tokens[p.Value.GetInt32()] = p.Name;
            types[p.Value.GetInt32()] = (int)TokenType.Normal;
        }
        for (int i = 0; i < Added.Length; i++)
        {
            var (text, special) = Added[i];
            bool looksSpecial = (text.StartsWith("<|", StringComparison.Ordinal) && text.EndsWith("|>", StringComparison.Ordinal))
                || (text.StartsWith("<｜", StringComparison.Ordinal) && text.EndsWith("｜>", StringComparison.Ordinal));
            tokens[Eos + i] = text;
            types[Eos + i] = (int)(special || looksSpecial ? TokenType.Control : TokenType.UserDefined);
        }
        for (int id = Eos + Added.Length; id < tokens.Length; id++)
        {
            tokens[id] = $"[PAD{id}]";
            types[id] = (int)TokenType.Unused;
        }
        string[] merges = [.. model.GetProperty("merges").EnumerateArray().Select(m => m[0].GetString() + " " + m[1].GetString())];

        yield return ("general.architecture", GgufValue.Of("qwen2"));
        yield return ("general.name", GgufValue.Of("DeepSeek R1 Distill Qwen 1.5B (vocab only, test)"));
        yield return ("tokenizer.ggml.model", GgufValue.Of("gpt2"));
        yield return ("tokenizer.ggml.pre", GgufValue.Of("deepseek-r1-qwen"));
        yield return ("tokenizer.ggml.tokens", GgufValue.Of(tokens));
        yield return ("tokenizer.ggml.token_type", GgufValue.Of(types));
        yield return ("tokenizer.ggml.merges", GgufValue.Of(merges));
        yield return ("tokenizer.ggml.bos_token_id", GgufValue.Of((uint)Bos));
        yield return ("tokenizer.ggml.eos_token_id", GgufValue.Of((uint)Eos));
        yield return ("tokenizer.ggml.padding_token_id", GgufValue.Of((uint)Eos));
        yield return ("tokenizer.ggml.add_bos_token", GgufValue.Of(true));
        yield return ("tokenizer.ggml.add_eos_token", GgufValue.Of(false));
    }
}
