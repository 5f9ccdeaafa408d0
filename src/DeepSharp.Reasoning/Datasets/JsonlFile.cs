using System.Globalization;
using System.Text.Json;

namespace DeepSharp.Reasoning.Datasets;

/// <summary>Reads JSON Lines, one object per non-blank line, with errors that name the line.</summary>
public static class JsonlFile
{
    /// <summary>
    /// Maps each line's object with <paramref name="map"/>; a line that is not a JSON object, or that
    /// <paramref name="map"/> rejects with <see cref="KeyNotFoundException"/>/<see cref="FormatException"/>, throws
    /// <see cref="DatasetFormatException"/> naming the file and line.
    /// </summary>
    public static IEnumerable<T> Read<T>(string path, Func<JsonElement, int, T> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            yield return MapLine(path, lineNumber, line, map);
        }
    }

    private static T MapLine<T>(string path, int lineNumber, string line, Func<JsonElement, int, T> map)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new DatasetFormatException(path, lineNumber, "not a JSON object");
            return map(doc.RootElement, lineNumber);
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(path, lineNumber, $"invalid JSON ({e.Message})");
        }
        catch (KeyNotFoundException e)
        {
            throw new DatasetFormatException(path, lineNumber, e.Message);
        }
        catch (FormatException e) when (e is not DatasetFormatException)
        {
            throw new DatasetFormatException(path, lineNumber, e.Message);
        }
        catch (InvalidOperationException e)
        {
            throw new DatasetFormatException(path, lineNumber, e.Message);
        }
    }

    /// <summary>The named field, or <see cref="KeyNotFoundException"/> listing the names tried.</summary>
    public static JsonElement Field(JsonElement obj, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (string name in names)
        {
            if (obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
                return value;
        }
        throw new KeyNotFoundException($"missing field {string.Join(" or ", names.Select(n => $"\"{n}\""))}");
    }

    /// <summary>A field as text: strings as they are, numbers in invariant form.</summary>
    public static string Text(JsonElement obj, params string[] names)
    {
        var value = Field(obj, names);
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new FormatException($"field \"{names[0]}\" is {value.ValueKind}, expected text"),
        };
    }

    /// <summary>A field as an integer (a JSON number, or a string of digits).</summary>
    public static long Whole(JsonElement obj, string name)
    {
        string text = Text(obj, name);
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new FormatException($"field \"{name}\" is not an integer: {text}");
    }
}
