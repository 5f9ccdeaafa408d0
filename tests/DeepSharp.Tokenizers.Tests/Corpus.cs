using System.Collections.Concurrent;
using System.Text;
using DeepSharp.Gguf;
using DeepSharp.Oracle;

namespace DeepSharp.Tokenizers.Tests;

/// <summary>
/// The tokenizer corpora (/work/shared/corpora/tokenizer, see SOURCES.md): llama.cpp's vocab test files
/// (ggml-vocab-*.gguf with .inp cases and the .out ids test-tokenizer-0 writes) and Hugging Face tokenizer.json files.
/// Tokenizers are loaded once per file and shared (they are immutable).
/// </summary>
internal static class Corpus
{
    private const string Separator = "\n__ggml_vocab_test__\n";
    private static readonly ConcurrentDictionary<string, Tokenizer> Loaded = new();

    public static string VocabDir => TestPaths.Corpus("tokenizer", "llama.cpp-vocab");

    public static string Qwen2Json => TestPaths.Corpus("tokenizer", "qwen2-vocab-from-qwen3", "tokenizer.json");

    public static string DeepSeekV3Json => TestPaths.Corpus("tokenizer", "deepseek-v3", "tokenizer.json");

    /// <summary>The cases of ggml-vocab-NAME.gguf.inp: every case is followed by a separator line.</summary>
    public static string[] Inputs(string name)
    {
        string content = File.ReadAllText(Path.Combine(VocabDir, $"ggml-vocab-{name}.gguf.inp"), Encoding.UTF8);
        return content.Split(Separator)[..^1];
    }

    /// <summary>The expected ids of each case, from ggml-vocab-NAME.gguf.out (one line per case).</summary>
    public static int[][] Outputs(string name)
    {
        string[] lines = File.ReadAllText(Path.Combine(VocabDir, $"ggml-vocab-{name}.gguf.out"), Encoding.UTF8).Split('\n');
        return [.. lines[..^1].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())];
    }

    public static Tokenizer Gguf(string name) => Loaded.GetOrAdd("gguf:" + name, _ =>
    {
        using var file = GgufFile.Open(Path.Combine(VocabDir, $"ggml-vocab-{name}.gguf"));
        return Tokenizer.FromGguf(file.Metadata);
    });

    public static Tokenizer Json(string path) => Loaded.GetOrAdd("json:" + path, p => Tokenizer.FromHuggingFaceJson(path));

    /// <summary>Extra cases beyond llama.cpp's: CJK, emoji, digits, code, whitespace runs, mixed scripts.</summary>
    public static readonly string[] OwnCases =
    [
        "你好，世界！这是一个测试。",
        "日本語のテキスト、カタカナとひらがな。",
        "한국어 문장입니다.",
        "emoji 🦙🚀👍🏽 and family 👨‍👩‍👧‍👦 flags 🇯🇵",
        "digits 1234567890 3.14159 -42 1e10 ١٢٣",
        "def f(x):\n    return x ** 2  # square\n\n\tprint(f(3))\r\n",
        "a   b\t\tc\n\n\n d    \n",
        "    leading and trailing    ",
        "It's we'll they'RE I'M",
        "𝐀𝐁𝐂 𝒳 mathematical letters and 𠀀𠀁 CJK extension B",
        "Ünïcödé àçćéñtš — “quotes” ‘single’ «guillemets»",
        "Привет мир! Γειά σου κόσμε.",
        "mixed中文English混合123数字",
        "x" + new string(' ', 40) + "y",
        "<think>\nLet me reason.\n</think>\n\nThe answer is 42.",
    ];
}
