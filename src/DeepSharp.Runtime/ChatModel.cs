using DeepSharp.Chat;
using DeepSharp.Gguf;
using DeepSharp.Models;
using DeepSharp.Sampling;
using DeepSharp.Tokenizers;

namespace DeepSharp.Runtime;

/// <summary>
/// A loaded model with everything needed to talk to it: the network (<see cref="Model"/>), its tokenizer, its chat
/// template and its sampling defaults — all read from the one GGUF file.
/// </summary>
public sealed class ChatModel : IDisposable
{
    private ChatModel(Model model, Tokenizer tokenizer, ChatTemplate? template, SamplingOptions defaults)
    {
        Model = model;
        Tokenizer = tokenizer;
        Template = template;
        DefaultSampling = defaults;
    }

    public Model Model { get; }
    public Tokenizer Tokenizer { get; }

    /// <summary>The model's <c>tokenizer.chat_template</c>, or null when the file has none.</summary>
    public ChatTemplate? Template { get; }

    /// <summary>R1's model-card settings (temperature 0.6, top-p 0.95), overridden by the file's <c>general.sampling.*</c> keys.</summary>
    public SamplingOptions DefaultSampling { get; }

    public static ChatModel Load(string path, LoadOptions? options = null)
    {
        var model = Model.Load(path, options);
        try
        {
            var md = model.File.Metadata;
            var tokenizer = Tokenizer.FromGguf(md);
            string? source = md.GetStringOrNull("tokenizer.chat_template");
            var template = source is null ? null : ChatTemplate.Parse(source);
            return new ChatModel(model, tokenizer, template, SamplingDefaults(md));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    internal static SamplingOptions SamplingDefaults(GgufMetadata md)
    {
        var declared = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (string key in SamplingOptions.ModelKeys)
        {
            if (md.TryGetValue(key, out GgufValue? value)) declared[key] = value.Raw;
        }
        return SamplingOptions.R1Defaults.WithModelDefaults(declared);
    }

    /// <summary>Renders a conversation with the model's template (earlier reasoning is dropped by R1's templates).</summary>
    public string RenderChat(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        if (Template is null)
            throw new InvalidOperationException("the model file has no chat template (tokenizer.chat_template); use raw generation instead");
        string bos = Tokenizer.Bos is int b ? Tokenizer.TokenText(b) : "";
        string eos = Tokenizer.Eos is int e ? Tokenizer.TokenText(e) : "";
        return Template.Render(messages, addGenerationPrompt, bos, eos);
    }

    /// <summary>
    /// Token ids of a rendered prompt: special tokens are parsed, and BOS is added as the model asks unless the template
    /// already wrote it (llama.cpp warns about such a "double BOS"; we avoid it).
    /// </summary>
    public int[] TokenizePrompt(string text, bool addSpecial = true)
    {
        int[] ids = Tokenizer.Encode(text, addSpecial: false, parseSpecial: true);
        if (!addSpecial || !Tokenizer.AddBos || Tokenizer.Bos is not int bos || (ids.Length > 0 && ids[0] == bos))
            return ids;
        return [bos, .. ids];
    }

    /// <summary>True when the prompt ends inside an opened reasoning block (R1's templates end with "&lt;think&gt;\n").</summary>
    public static bool EndsInReasoning(string prompt) =>
        prompt.TrimEnd().EndsWith("<think>", StringComparison.Ordinal);

    public void Dispose() => Model.Dispose();
}
