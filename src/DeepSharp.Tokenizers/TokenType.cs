namespace DeepSharp.Tokenizers;

/// <summary>
/// The kind of a vocabulary entry, with the numeric values of GGUF's <c>tokenizer.ggml.token_type</c>
/// (llama.cpp <c>llama_token_type</c>).
/// </summary>
public enum TokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    /// <summary>Special tokens (BOS, EOS, chat markers): matched in text only when special parsing is on.</summary>
    Control = 3,
    /// <summary>Added tokens: always matched as whole strings in text, decoded as their raw text.</summary>
    UserDefined = 4,
    Unused = 5,
    /// <summary>SentencePiece byte-fallback tokens <c>&lt;0xNN&gt;</c>.</summary>
    Byte = 6,
}
