namespace DeepSharp.Reasoning.Datasets;

/// <summary>A dataset line that is not JSON or lacks a field, named by file and 1-based line number.</summary>
public sealed class DatasetFormatException : FormatException
{
    public DatasetFormatException(string path, int lineNumber, string problem)
        : base($"{path}:{lineNumber}: {problem}")
    {
        Path = path;
        LineNumber = lineNumber;
    }

    public DatasetFormatException()
    {
    }

    public DatasetFormatException(string message) : base(message)
    {
    }

    public DatasetFormatException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public string? Path { get; }

    public int LineNumber { get; }
}
