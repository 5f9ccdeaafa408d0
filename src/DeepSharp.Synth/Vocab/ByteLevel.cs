using System.Text;

namespace DeepSharp.Synth;

/// <summary>
/// GPT-2's byte-to-unicode map (byte-level BPE): printable bytes 33–126, 161–172 and 174–255 map to themselves; the
/// other 68 bytes map, in increasing byte order, to U+0100, U+0101, … (space → 'Ġ', newline → 'Ċ').
/// </summary>
public static class ByteLevel
{
    public const int ByteTokenCount = 256;

    private static readonly char[] ByteToChar = BuildMap(out OrderedBytes);

    /// <summary>Bytes in GPT-2 vocabulary order: printable ranges first, then the remapped ones (ids 0..255 of Qwen2's vocab).</summary>
    private static readonly byte[] OrderedBytes;

    /// <summary>The 256 single-byte token strings in vocabulary order.</summary>
    public static IEnumerable<string> ByteTokens() => OrderedBytes.Select(b => ByteToChar[b].ToString());

    /// <summary>Maps text's UTF-8 bytes to the byte-level alphabet.</summary>
    public static string Encode(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            sb.Append(ByteToChar[b]);
        }

        return sb.ToString();
    }

    private static char[] BuildMap(out byte[] ordered)
    {
        var map = new char[256];
        var order = new List<byte>(256);
        for (int b = 0; b < 256; b++)
        {
            if (b is (>= 33 and <= 126) or (>= 161 and <= 172) or (>= 174 and <= 255))
            {
                map[b] = (char)b;
                order.Add((byte)b);
            }
        }

        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            if (map[b] == '\0')
            {
                map[b] = (char)(256 + next++);
                order.Add((byte)b);
            }
        }

        ordered = [.. order];
        return map;
    }
}
