using System.Text.Json;

namespace DeepSharp.Train.Data;

/// <summary>A question and the assistant response to learn ("&lt;think&gt;\n…\n&lt;/think&gt;\n\nanswer").</summary>
public sealed record Trace(string Question, string Response);

/// <summary>Thrown for a malformed trace line when the run stops on bad data.</summary>
public sealed class TraceFormatException : FormatException
{
    public TraceFormatException(string message) : base(message) { }

    public TraceFormatException() { }

    public TraceFormatException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Reads trace JSONL (API2.md): TRL's <c>messages</c> [user, assistant], or <c>prompt</c> + <c>reasoning</c> +
/// <c>answer</c>. A malformed line is reported by its number and either skipped or fatal.
/// </summary>
public static class TraceFile
{
    public static List<Trace> Read(string path, bool skipBadLines, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(warn);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Trace file '{path}' does not exist.", path);
        }

        var traces = new List<Trace>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            string? problem = TryParse(line, out Trace? trace);
            if (trace is not null)
            {
                traces.Add(trace);
                continue;
            }

            string message = $"{path}:{lineNumber}: {problem}";
            if (!skipBadLines)
            {
                throw new TraceFormatException(message + " (use --skip-bad-lines to skip such lines)");
            }

            warn($"skipping {message}");
        }

        return traces;
    }

    /// <summary>Null and a trace, or the reason the line is unusable.</summary>
    internal static string? TryParse(string line, out Trace? trace)
    {
        trace = null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "not a JSON object";
            }

            trace = FromMessages(root) ?? FromFields(root);
            return trace is null ? "needs \"messages\" (user, assistant) or \"prompt\", \"reasoning\" and \"answer\"" : null;
        }
        catch (JsonException e)
        {
            return $"invalid JSON ({e.Message})";
        }
        catch (InvalidOperationException e)
        {
            return $"a field has the wrong type ({e.Message})";
        }
    }

    private static Trace? FromMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out JsonElement messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        string? user = null, assistant = null;
        foreach (JsonElement m in messages.EnumerateArray())
        {
            string? role = m.GetProperty("role").GetString();
            string? content = m.GetProperty("content").GetString();
            if (role == "user")
            {
                user = content;
            }
            else if (role == "assistant")
            {
                assistant = content;
            }
        }

        return string.IsNullOrEmpty(user) || string.IsNullOrEmpty(assistant) ? null : new Trace(user, assistant);
    }

    private static Trace? FromFields(JsonElement root)
    {
        string? Get(string name) => root.TryGetProperty(name, out JsonElement v) ? v.GetString() : null;
        string? prompt = Get("prompt"), reasoning = Get("reasoning"), answer = Get("answer");
        return string.IsNullOrEmpty(prompt) || reasoning is null || string.IsNullOrEmpty(answer)
            ? null
            : new Trace(prompt, $"<think>\n{reasoning}\n</think>\n\n{answer}");
    }
}
