namespace DeepSharp.Reasoning.Grading;

/// <summary>The content of the last <c>\boxed{…}</c> (or <c>\fbox{…}</c>), with nested braces balanced.</summary>
public static class Boxed
{
    private static readonly string[] Commands = ["\\boxed", "\\fbox"];

    /// <summary>The content of the last box, or null when there is none or it is never closed.</summary>
    public static string? Last(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int start = Commands.Max(c => text.LastIndexOf(c, StringComparison.Ordinal));
        if (start < 0)
            return null;
        int pos = start + 1;
        while (pos < text.Length && char.IsAsciiLetter(text[pos]))
            pos++;
        while (pos < text.Length && text[pos] == ' ')
            pos++;
        if (pos >= text.Length || text[pos] != '{')
            return BoxedWithSpace(text, start);
        int depth = 0;
        for (int i = pos; i < text.Length; i++)
        {
            if (text[i] == '{')
                depth++;
            else if (text[i] == '}' && --depth == 0)
                return text[(pos + 1)..i];
        }
        return null;
    }

    // "\boxed 5" (no braces) as some models write it: the token after the space.
    private static string? BoxedWithSpace(string text, int start)
    {
        int space = text.IndexOf(' ', start);
        if (space < 0)
            return null;
        string rest = text[(space + 1)..].TrimStart();
        int end = rest.IndexOfAny([' ', '$', '\n']);
        return end < 0 ? rest : rest[..end];
    }
}
