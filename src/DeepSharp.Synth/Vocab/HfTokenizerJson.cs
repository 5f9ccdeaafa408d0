using System.Text.Json;

namespace DeepSharp.Synth;

/// <summary>Reads the vocabulary and merges of a Hugging Face tokenizer.json (BPE model) into id-indexed arrays.</summary>
internal static class HfTokenizerJson
{
    /// <summary>Fills tokens/types at their ids and returns the merges ("left right", rank order).</summary>
    public static string[] Load(string path, string?[] tokens, TokenType[] types)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"Vocabulary file '{path}' does not exist.", nameof(path));
        }

        using FileStream stream = File.OpenRead(path);
        using JsonDocument doc = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 256 });
        JsonElement model = doc.RootElement.GetProperty("model");
        if (!model.TryGetProperty("type", out JsonElement type) || type.GetString() != "BPE")
        {
            throw new ArgumentException($"'{path}' is not a BPE tokenizer.json (model.type must be \"BPE\").", nameof(path));
        }

        foreach (JsonProperty entry in model.GetProperty("vocab").EnumerateObject())
        {
            Put(path, tokens, types, entry.Value.GetInt32(), entry.Name, TokenType.Normal);
        }

        if (doc.RootElement.TryGetProperty("added_tokens", out JsonElement added))
        {
            foreach (JsonElement t in added.EnumerateArray())
            {
                string content = t.GetProperty("content").GetString()!;
                bool special = t.TryGetProperty("special", out JsonElement s) && s.GetBoolean();
                Put(path, tokens, types, t.GetProperty("id").GetInt32(), content,
                    special || LooksSpecial(content) ? TokenType.Control : TokenType.UserDefined);
            }
        }

        return [.. model.GetProperty("merges").EnumerateArray().Select(MergeText)];
    }

    /// <summary>llama.cpp's converter treats &lt;|…|&gt; and &lt;｜…｜&gt; added tokens as control tokens even when not flagged special.</summary>
    private static bool LooksSpecial(string text) =>
        (text.StartsWith("<|", StringComparison.Ordinal) && text.EndsWith("|>", StringComparison.Ordinal))
        || (text.StartsWith("<｜", StringComparison.Ordinal) && text.EndsWith("｜>", StringComparison.Ordinal));

    // Merges are "left right" strings in older files and ["left", "right"] pairs in newer ones.
    private static string MergeText(JsonElement m) => m.ValueKind == JsonValueKind.Array
        ? $"{m[0].GetString()} {m[1].GetString()}"
        : m.GetString()!;

    private static void Put(string path, string?[] tokens, TokenType[] types, int id, string text, TokenType type)
    {
        if (id < 0 || id >= tokens.Length)
        {
            throw new ArgumentException($"'{path}' defines token id {id}, outside the model's vocabulary of {tokens.Length}.", nameof(path));
        }

        tokens[id] = text;
        types[id] = type;
    }
}
