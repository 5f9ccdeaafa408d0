using System.Globalization;

namespace DeepSharp.Cli;

/// <summary>An error the user caused (bad option, missing file): printed as one line, exit code 1, no stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>
/// The options of one command: <c>--name value</c> pairs and bare <c>--flag</c>s. Every option a command reads must
/// be declared, so a misspelt option is an error rather than silently ignored.
/// </summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly string _command;

    private CliArgs(string command) => _command = command;

    /// <summary>Parses <paramref name="args"/>; <paramref name="valued"/> options take a value ("model"), <paramref name="flags"/> take none ("special").</summary>
    public static CliArgs Parse(string command, IReadOnlyList<string> args, string[] valued, string[] flags)
    {
        var parsed = new CliArgs(command);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-'))
                throw new CliException($"{command}: unexpected argument '{arg}'");
            string name = NormalizeName(arg, valued);
            if (Array.IndexOf(flags, name) >= 0)
            {
                parsed._values[name] = null;
            }
            else if (Array.IndexOf(valued, name) >= 0)
            {
                if (i + 1 >= args.Count)
                    throw new CliException($"{command}: option --{name} needs a value");
                parsed._values[name] = args[++i];
            }
            else
            {
                throw new CliException($"{command}: unknown option '{arg}'");
            }
        }
        return parsed;
    }

    // llama-bench style short options (-p 512, -n 128) map onto long names the command declares.
    private static string NormalizeName(string arg, string[] valued)
    {
        string name = arg.TrimStart('-');
        if (arg.Length == 2 && arg[0] == '-')
        {
            foreach (string v in valued)
                if (v.Length == 1 && v == name) return v;
        }
        return name;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? GetString(string name) => _values.TryGetValue(name, out string? v) ? v : null;

    public string Require(string name) =>
        GetString(name) ?? throw new CliException($"{_command}: option --{name} is required");

    public int GetInt(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        string? text = GetString(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new CliException($"{_command}: --{name} must be an integer between {min} and {max}, got '{text}'");
        return value;
    }

    public ulong? GetULong(string name)
    {
        string? text = GetString(name);
        if (text is null) return null;
        if (!ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong value))
            throw new CliException($"{_command}: --{name} must be a non-negative integer, got '{text}'");
        return value;
    }

    public float? GetFloat(string name, float min, float max)
    {
        string? text = GetString(name);
        if (text is null) return null;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value)
            || float.IsNaN(value) || value < min || value > max)
            throw new CliException($"{_command}: --{name} must be a number between {min} and {max}, got '{text}'");
        return value;
    }

    /// <summary>Parses "1 2 3" (spaces or commas) into token ids.</summary>
    public static int[] ParseIds(string command, string text)
    {
        string[] parts = text.Split([' ', ',', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]) || ids[i] < 0)
                throw new CliException($"{command}: --ids must be non-negative integers, got '{parts[i]}'");
        }
        if (ids.Length == 0) throw new CliException($"{command}: --ids is empty");
        return ids;
    }

    /// <summary>An existing file path for option <paramref name="name"/>, or a one-line error.</summary>
    public string RequireExistingFile(string name)
    {
        string path = Require(name);
        if (!File.Exists(path)) throw new CliException($"{_command}: file not found: {path}");
        return path;
    }
}
