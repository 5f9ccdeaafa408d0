namespace DeepSharp.Extensions.AI;

/// <summary>Settings of a <see cref="DeepSharpChatClient"/> that hold for every call.</summary>
public sealed record DeepSharpChatClientOptions
{
    /// <summary>
    /// A Jinja chat template used instead of the file's <c>tokenizer.chat_template</c>: needed for a model without one
    /// (a base model), or to fix a broken one. Null uses the file's template.
    /// </summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Tokens generated when a call sets no <c>ChatOptions.MaxOutputTokens</c>. R1 thinks at length, so
    /// the default is generous; the context size bounds it anyway.</summary>
    public int DefaultMaxOutputTokens { get; init; } = 4096;

    /// <summary>The model id reported in responses and metadata; null uses the file's <c>general.name</c> or its file name.</summary>
    public string? ModelId { get; init; }
}
