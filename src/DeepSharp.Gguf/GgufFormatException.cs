namespace DeepSharp.Gguf;

/// <summary>
/// A GGUF file is malformed, truncated, hostile or not what the caller expected (missing key, wrong value type).
/// The message names the key or tensor and what is wrong with it.
/// </summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException() { }

    public GgufFormatException(string message) : base(message) { }

    public GgufFormatException(string message, Exception innerException) : base(message, innerException) { }
}
