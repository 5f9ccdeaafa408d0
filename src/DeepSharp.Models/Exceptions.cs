namespace DeepSharp.Models;

/// <summary>A tensor the architecture requires is absent from the file.</summary>
public sealed class MissingTensorException : Exception
{
    public MissingTensorException() { }
    public MissingTensorException(string message) : base(message) { }
    public MissingTensorException(string message, Exception innerException) : base(message, innerException) { }

    public MissingTensorException(string tensorName, IReadOnlyList<long> expectedShape)
        : base($"tensor '{tensorName}' [{string.Join(", ", expectedShape)}] is missing from the model file")
    {
        TensorName = tensorName;
        ExpectedShape = expectedShape;
    }

    public string? TensorName { get; }
    public IReadOnlyList<long>? ExpectedShape { get; }
}

/// <summary>The file's tensors do not fit its own hyper-parameters (shape or type).</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException() { }
    public ModelFormatException(string message) : base(message) { }
    public ModelFormatException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary><c>general.architecture</c> names an architecture this engine does not implement.</summary>
public sealed class UnsupportedArchitectureException : Exception
{
    public UnsupportedArchitectureException() { }
    public UnsupportedArchitectureException(string message) : base(message) { }
    public UnsupportedArchitectureException(string message, Exception innerException) : base(message, innerException) { }

    public UnsupportedArchitectureException(string architecture, IReadOnlyList<string> supported)
        : base($"unsupported architecture '{architecture}' (supported: {string.Join(", ", supported)})")
    {
        Architecture = architecture;
        Supported = supported;
    }

    public string? Architecture { get; }
    public IReadOnlyList<string> Supported { get; } = [];
}

/// <summary>
/// Thrown by <see cref="Session"/> when tokens would go past the context size. The session is left
/// unchanged (nothing of the rejected batch is stored); check <c>Session.Remaining</c> first to avoid it.
/// </summary>
public sealed class ContextFullException : Exception
{
    public ContextFullException() { }
    public ContextFullException(string message) : base(message) { }
    public ContextFullException(string message, Exception innerException) : base(message, innerException) { }

    public ContextFullException(int position, int requested, int contextSize)
        : base($"context full: {requested} more token(s) at position {position} exceed the context size {contextSize}")
    {
        Position = position;
        Requested = requested;
        ContextSize = contextSize;
    }

    public int Position { get; }
    public int Requested { get; }
    public int ContextSize { get; }
}
