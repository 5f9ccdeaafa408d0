namespace DeepSharp.Tokenizers;

/// <summary>A tokenizer description (GGUF metadata or tokenizer.json) that is malformed or not supported.</summary>
public sealed class TokenizerFormatException : Exception
{
    public TokenizerFormatException() { }

    public TokenizerFormatException(string message) : base(message) { }

    public TokenizerFormatException(string message, Exception innerException) : base(message, innerException) { }
}
