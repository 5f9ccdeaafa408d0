using System.Text.Json;
using System.Text.RegularExpressions;
using DeepSharp.Tokenizers.PreTokenization;

namespace DeepSharp.Tokenizers;

/// <summary>
/// Builds a byte-level BPE tokenizer from a Hugging Face tokenizer.json (format of huggingface/tokenizers: model BPE
/// with vocab and merges, added_tokens, normalizer, pre_tokenizer) plus tokenizer_config.json for BOS/EOS. The
/// pre-tokenizer regexes are the ones in the file.
/// </summary>
internal static class HuggingFaceJsonLoader
{
    private const string ConfigFileName = "tokenizer_config.json";

    public static TokenizerParts Load(string tokenizerJsonPath, string? tokenizerConfigPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        using var json = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        var root = json.RootElement;
        var model = root.GetProperty("model");
        if (model.TryGetProperty("type", out var type) && type.GetString() != "BPE")
            throw new TokenizerFormatException($"{tokenizerJsonPath}: model type '{type.GetString()}' is not supported (BPE only)");
        if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
            throw new TokenizerFormatException($"{tokenizerJsonPath}: SentencePiece-style BPE (byte_fallback) is not supported from tokenizer.json; use the GGUF");

        var (texts, types) = ReadVocabulary(model, root);
        var strip = ReadAddedTokenStrip(root);
        var config = ReadConfig(tokenizerConfigPath ?? SiblingConfig(tokenizerJsonPath));
        string? templateBos = ReadTemplateBos(root);
        int? IdOf(string? text) => text is null ? null : Array.IndexOf(texts, text) is var i and >= 0 ? i : null;
        var given = new SpecialTokens.Given(
            Bos: IdOf(config.Bos ?? templateBos), Eos: IdOf(config.Eos), Unknown: IdOf(config.Unknown), Pad: IdOf(config.Pad));
        var special = SpecialTokens.Resolve(texts, types, given);
        var vocab = new Vocabulary(texts, types, null, TokenTextEncoding.ByteLevel);
        bool ignoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;
        var bpe = new BytePairEncoder(vocab, ReadMerges(model.GetProperty("merges")), ignoreMerges);
        return new TokenizerParts(
            "gpt2", vocab, special, bpe, ReadPreTokenizer(root), null,
            AddBos: config.AddBos ?? templateBos is not null,
            AddEos: config.AddEos ?? false,
            AddSpacePrefix: false,
            NormalizeNfc: ReadNormalizerIsNfc(root),
            Strip: strip);
    }

    private static (string[] Texts, TokenType[] Types) ReadVocabulary(JsonElement model, JsonElement root)
    {
        var entries = new List<(int Id, string Text, TokenType Type)>();
        foreach (var p in model.GetProperty("vocab").EnumerateObject()) entries.Add((p.Value.GetInt32(), p.Name, TokenType.Normal));
        if (root.TryGetProperty("added_tokens", out var added))
        {
            foreach (var t in added.EnumerateArray())
            {
                bool isSpecial = t.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                entries.Add((t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString()!,
                    isSpecial ? TokenType.Control : TokenType.UserDefined));
            }
        }
        int count = entries.Count == 0 ? 0 : entries.Max(e => e.Id) + 1;
        var texts = new string[count];
        var types = new TokenType[count];
        Array.Fill(texts, "");
        Array.Fill(types, TokenType.Unused); // ids no entry names
        foreach (var (id, text, tokenType) in entries)
        {
            if (id < 0) throw new TokenizerFormatException($"token '{text}' has negative id {id}");
            texts[id] = text; // an added token overrides the vocab entry with its id
            types[id] = tokenType;
        }
        return (texts, types);
    }

    /// <summary>Added tokens' lstrip/rstrip flags.</summary>
    private static Dictionary<int, TokenStrip> ReadAddedTokenStrip(JsonElement root)
    {
        var strip = new Dictionary<int, TokenStrip>();
        if (!root.TryGetProperty("added_tokens", out var added)) return strip;
        foreach (var t in added.EnumerateArray())
        {
            var sides = (IsTrue(t, "lstrip") ? TokenStrip.Left : TokenStrip.None) | (IsTrue(t, "rstrip") ? TokenStrip.Right : TokenStrip.None);
            if (sides != TokenStrip.None) strip[t.GetProperty("id").GetInt32()] = sides;
        }
        return strip;
    }

    private static bool IsTrue(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>Merges as "a b" strings (older files) or ["a", "b"] pairs (tokenizers ≥ 0.20).</summary>
    private static List<(string, string)> ReadMerges(JsonElement merges)
    {
        var result = new List<(string, string)>(merges.GetArrayLength());
        foreach (var m in merges.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Array)
            {
                result.Add((m[0].GetString()!, m[1].GetString()!));
                continue;
            }
            string text = m.GetString()!;
            int space = text.IndexOf(' ', 1);
            if (space < 0) throw new TokenizerFormatException($"merge '{text}' has no space");
            result.Add((text[..space], text[(space + 1)..]));
        }
        return result;
    }

    private static RegexPreTokenizer ReadPreTokenizer(JsonElement root)
    {
        var stages = new List<Regex>();
        bool addPrefixSpace = false;
        if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object)
            AddStages(pre, stages, ref addPrefixSpace);
        return new RegexPreTokenizer("tokenizer.json", [.. stages], addPrefixSpace: addPrefixSpace);
    }

    private static void AddStages(JsonElement pre, List<Regex> stages, ref bool addPrefixSpace)
    {
        string type = pre.GetProperty("type").GetString()!;
        switch (type)
        {
            case "Sequence":
                foreach (var p in pre.GetProperty("pretokenizers").EnumerateArray()) AddStages(p, stages, ref addPrefixSpace);
                break;
            case "Split":
                string behavior = pre.TryGetProperty("behavior", out var b) ? b.GetString()! : "Isolated";
                bool invert = pre.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
                if (behavior != "Isolated" || invert)
                    throw new TokenizerFormatException($"Split pre-tokenizer with behavior '{behavior}', invert={invert} is not supported (Isolated only)");
                var pattern = pre.GetProperty("pattern");
                stages.Add(pattern.TryGetProperty("Regex", out var rx)
                    ? MakeRegex(rx.GetString()!)
                    : MakeRegex(Regex.Escape(pattern.GetProperty("String").GetString()!)));
                break;
            case "ByteLevel":
                if (!pre.TryGetProperty("use_regex", out var useRegex) || useRegex.ValueKind == JsonValueKind.True)
                    stages.Add(PreTokenizerRegexes.Gpt2Regex());
                addPrefixSpace = pre.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True;
                break;
            case "Digits":
                bool individual = pre.TryGetProperty("individual_digits", out var ind) && ind.ValueKind == JsonValueKind.True;
                stages.Add(individual ? PreTokenizerRegexes.SingleDigitsRegex() : PreTokenizerRegexes.DigitRunsRegex());
                break;
            case "Punctuation":
                stages.Add(PreTokenizerRegexes.FalconPunctuationRegex());
                break;
            default:
                throw new TokenizerFormatException($"pre_tokenizer type '{type}' is not supported (Sequence, Split, ByteLevel, Digits, Punctuation)");
        }
    }

    private static Regex MakeRegex(string pattern) =>
        PreTokenizerRegexes.FindGenerated(pattern) ?? new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private static bool ReadNormalizerIsNfc(JsonElement root)
    {
        if (!root.TryGetProperty("normalizer", out var n) || n.ValueKind != JsonValueKind.Object) return false;
        string type = n.GetProperty("type").GetString()!;
        if (type == "NFC") return true;
        if (type == "Sequence" && n.GetProperty("normalizers").GetArrayLength() == 0) return false;
        throw new TokenizerFormatException($"normalizer '{n.GetRawText()}' is not supported (NFC or none)");
    }

    /// <summary>A TemplateProcessing post-processor that puts a special token before the text: that token is BOS.</summary>
    private static string? ReadTemplateBos(JsonElement root)
    {
        if (root.TryGetProperty("post_processor", out var pp) && pp.ValueKind == JsonValueKind.Object
            && pp.GetProperty("type").GetString() == "TemplateProcessing"
            && pp.GetProperty("single").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first
            && first.TryGetProperty("SpecialToken", out var st))
            return st.GetProperty("id").GetString();
        return null;
    }

    private static string? SiblingConfig(string tokenizerJsonPath)
    {
        string path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!, ConfigFileName);
        return File.Exists(path) ? path : null;
    }

    private sealed record Config(string? Bos, string? Eos, string? Unknown, string? Pad, bool? AddBos, bool? AddEos);

    private static Config ReadConfig(string? path)
    {
        if (path is null) return new Config(null, null, null, null, null, null);
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var c = json.RootElement;
        string? Token(string name) =>
            !c.TryGetProperty(name, out var v) ? null
            : v.ValueKind == JsonValueKind.String ? v.GetString()
            : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var content) ? content.GetString()
            : null;
        bool? Flag(string name) => c.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : null;
        return new Config(Token("bos_token"), Token("eos_token"), Token("unk_token"), Token("pad_token"),
            Flag("add_bos_token"), Flag("add_eos_token"));
    }
}
