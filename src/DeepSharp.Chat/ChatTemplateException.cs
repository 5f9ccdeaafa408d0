namespace DeepSharp.Chat;

/// <summary>A chat template failed to parse or render. <see cref="Line"/> and <see cref="Column"/> (1-based) point
/// at the template construct involved; the message starts with them.</summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException() : this("chat template error") { }

    public ChatTemplateException(string message) : base(message) => Reason = message;

    public ChatTemplateException(string message, Exception innerException) : base(message, innerException) => Reason = message;

    public ChatTemplateException(string reason, int line, int column, bool raisedByTemplate = false)
        : base($"chat template line {line}, column {column}: {reason}")
    {
        Reason = reason;
        Line = line;
        Column = column;
        RaisedByTemplate = raisedByTemplate;
    }

    /// <summary>The error without the location prefix.</summary>
    public string Reason { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>True when the template itself called <c>raise_exception(...)</c> — usually a bad request (for
    /// example a system message in the wrong place), not a broken template.</summary>
    public bool RaisedByTemplate { get; }
}
