namespace DeepSharp.Tokenizers;

/// <summary>
/// GPT-2's reversible byte ↔ printable-character map (openai/gpt-2 encoder.py <c>bytes_to_unicode</c>, used by every
/// byte-level BPE vocabulary): bytes 33–126, 161–172 and 174–255 stand for themselves; the other 68 bytes map, in
/// increasing byte order, to U+0100, U+0101, … (so space is 'Ġ' U+0120 and newline 'Ċ' U+010A).
/// </summary>
internal static class ByteLevelMapping
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = BuildCharToByte();

    public static char ToChar(byte b) => ByteToChar[b];

    public static bool TryGetByte(char c, out byte b) => CharToByte.TryGetValue(c, out b);

    /// <summary>The mapped string of some UTF-8 bytes: one character per byte.</summary>
    public static string Encode(ReadOnlySpan<byte> utf8)
    {
        var chars = utf8.Length <= 256 ? stackalloc char[utf8.Length] : new char[utf8.Length];
        for (int i = 0; i < utf8.Length; i++) chars[i] = ByteToChar[utf8[i]];
        return new string(chars);
    }

    /// <summary>The bytes a mapped string stands for, or null if a character is outside the map.</summary>
    public static byte[]? Decode(string mapped)
    {
        var bytes = new byte[mapped.Length];
        for (int i = 0; i < mapped.Length; i++)
        {
            if (!CharToByte.TryGetValue(mapped[i], out bytes[i])) return null;
        }
        return bytes;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (byte)b;
        return map;
    }
}
