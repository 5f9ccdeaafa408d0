namespace DeepSharp.Runtime;

/// <summary>The prompt does not fit in the context window (it must leave room for at least one generated token).</summary>
public sealed class PromptTooLongException : Exception
{
    public PromptTooLongException() { }
    public PromptTooLongException(string message) : base(message) { }
    public PromptTooLongException(string message, Exception innerException) : base(message, innerException) { }

    public PromptTooLongException(int promptTokens, int available)
        : base($"the prompt is {promptTokens} tokens but only {available} fit in the context (raise --ctx or shorten the prompt)")
    {
        PromptTokens = promptTokens;
        Available = available;
    }

    public int PromptTokens { get; }
    public int Available { get; }
}
