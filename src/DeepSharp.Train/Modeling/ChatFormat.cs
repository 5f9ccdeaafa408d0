using DeepSharp.Chat;
using DeepSharp.Gguf;
using DeepSharp.Tokenizers;
using DeepSharp.Train.Export;

namespace DeepSharp.Train.Modeling;

/// <summary>
/// Turns a question into the prompt tokens the engine will see (the model's chat template with the generation prompt,
/// which for R1 templates ends in "&lt;think&gt;\n") and an assistant response into completion tokens ending in EOS.
/// </summary>
public sealed class ChatFormat
{
    private const string OpenThink = "<think>\n";
    private readonly ChatTemplate _template;

    public ChatFormat(GgufMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        Tokenizer = Tokenizer.FromGguf(metadata);
        _template = ChatTemplate.Parse(metadata.GetString("tokenizer.chat_template"));
        Eos = Tokenizer.Eos ?? throw new InvalidDataException("The vocabulary has no end-of-sequence token.");
    }

    /// <summary>The vocabulary of models of this vocabulary size whose merges were learned from <paramref name="mergeText"/>.</summary>
    public static ChatFormat For(ModelConfig config, string? mergeText = null) => new(new GgufMetadata(ModelFile.Metadata(config, "vocabulary", mergeText)));

    public Tokenizer Tokenizer { get; }

    public int Eos { get; }

    public string RenderPrompt(string question)
    {
        string bos = Tokenizer.Bos is int b ? Tokenizer.TokenText(b) : "";
        return _template.Render([new ChatMessage("user", question)], addGenerationPrompt: true, bos, Tokenizer.TokenText(Eos));
    }

    /// <summary>Prompt ids as <c>ChatModel.TokenizePrompt</c> makes them (specials parsed; the template writes BOS).</summary>
    public int[] EncodePrompt(string question)
    {
        int[] ids = Tokenizer.Encode(RenderPrompt(question), addSpecial: false, parseSpecial: true);
        return Tokenizer.AddBos && Tokenizer.Bos is int bos && (ids.Length == 0 || ids[0] != bos) ? [bos, .. ids] : ids;
    }

    /// <summary>
    /// Completion ids of a response "&lt;think&gt;\n…\n&lt;/think&gt;\n\nanswer" (the opening tag dropped when the prompt
    /// already ends with it), then EOS.
    /// </summary>
    public int[] EncodeCompletion(string question, string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (RenderPrompt(question).EndsWith(OpenThink, StringComparison.Ordinal) && response.StartsWith(OpenThink, StringComparison.Ordinal))
        {
            response = response[OpenThink.Length..];
        }

        return [.. Tokenizer.Encode(response, addSpecial: false, parseSpecial: true), Eos];
    }

    public string Decode(ReadOnlySpan<int> ids) => Tokenizer.Decode(ids, renderSpecial: false);
}
