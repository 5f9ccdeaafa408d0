using System.Globalization;
using System.Text;

namespace DeepSharp.Tokenizers.PreTokenization;

/// <summary>
/// .NET regexes match UTF-16 code units, so a character outside the BMP (emoji, CJK extension B, math letters) is
/// two surrogates of category Cs and never matches <c>\p{L}</c>, <c>\p{S}</c> or <c>\p{N}</c> the way the Rust/Oniguruma
/// regexes of Hugging Face (or llama.cpp's code-point matcher) do. Before matching, each such character is replaced by
/// one BMP stand-in of the same Unicode general category, chosen outside every explicit range our pre-tokenizer
/// regexes name (ASCII, the CJK/Hangul ranges U+0800–U+9FA5 and U+AC00–U+D7FF, kana); the match positions are then
/// mapped back to the original string.
/// </summary>
internal static class CodePointProxy
{
    /// <summary>The stand-in for each <see cref="UnicodeCategory"/>, indexed by its numeric value.</summary>
    internal static readonly char[] StandIns = BuildStandIns();

    /// <summary>True when text holds any surrogate, i.e. needs a proxy string.</summary>
    public static bool IsNeeded(string text) => text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    /// <summary>
    /// The proxy of text (one char per code point) and, for each proxy index i (and Length), the index in text.
    /// </summary>
    public static (string Proxy, int[] Offsets) Build(string text)
    {
        var proxy = new StringBuilder(text.Length);
        var offsets = new List<int>(text.Length + 1);
        int i = 0;
        while (i < text.Length)
        {
            offsets.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int codePoint = char.ConvertToUtf32(text[i], text[i + 1]);
                proxy.Append(StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(codePoint)]);
                i += 2;
            }
            else
            {
                proxy.Append(text[i]);
                i++;
            }
        }
        offsets.Add(text.Length);
        return (proxy.ToString(), [.. offsets]);
    }

    private static char[] BuildStandIns()
    {
        var map = new char[30];
        Set(UnicodeCategory.UppercaseLetter, '\uA640');      // CYRILLIC CAPITAL LETTER ZEMLYA
        Set(UnicodeCategory.LowercaseLetter, '\uA641');      // CYRILLIC SMALL LETTER ZEMLYA
        Set(UnicodeCategory.TitlecaseLetter, '\u01C5');      // LATIN CAPITAL LETTER D WITH SMALL LETTER Z WITH CARON
        Set(UnicodeCategory.ModifierLetter, '\uA015');       // YI SYLLABLE WU
        Set(UnicodeCategory.OtherLetter, '\uA000');          // YI SYLLABLE IT
        Set(UnicodeCategory.NonSpacingMark, '\uA66F');       // COMBINING CYRILLIC VZMET
        Set(UnicodeCategory.SpacingCombiningMark, '\uA823'); // SYLOTI NAGRI VOWEL SIGN A
        Set(UnicodeCategory.EnclosingMark, '\uA670');        // COMBINING CYRILLIC TEN MILLIONS SIGN
        Set(UnicodeCategory.DecimalDigitNumber, '\uA620');   // VAI DIGIT ZERO
        Set(UnicodeCategory.LetterNumber, '\uA6E6');         // BAMUM LETTER MO
        Set(UnicodeCategory.OtherNumber, '\uA830');          // NORTH INDIC FRACTION ONE QUARTER
        Set(UnicodeCategory.SpaceSeparator, '\u3000');       // never astral; IDEOGRAPHIC SPACE
        Set(UnicodeCategory.LineSeparator, '\u2028');        // never astral
        Set(UnicodeCategory.ParagraphSeparator, '\u2029');   // never astral
        Set(UnicodeCategory.Control, '\u0085');              // never astral
        Set(UnicodeCategory.Format, '\uFEFF');               // ZERO WIDTH NO-BREAK SPACE
        Set(UnicodeCategory.Surrogate, '\uE000');            // an unpaired surrogate is left as it is; unused
        Set(UnicodeCategory.PrivateUse, '\uE000');
        Set(UnicodeCategory.ConnectorPunctuation, '\uFE33'); // PRESENTATION FORM FOR VERTICAL LOW LINE
        Set(UnicodeCategory.DashPunctuation, '\uFE31');      // PRESENTATION FORM FOR VERTICAL EM DASH
        Set(UnicodeCategory.OpenPunctuation, '\uFE59');      // SMALL LEFT PARENTHESIS
        Set(UnicodeCategory.ClosePunctuation, '\uFE5A');     // SMALL RIGHT PARENTHESIS
        Set(UnicodeCategory.InitialQuotePunctuation, '\u00AB'); // LEFT-POINTING DOUBLE ANGLE QUOTATION MARK
        Set(UnicodeCategory.FinalQuotePunctuation, '\u00BB');   // RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK
        Set(UnicodeCategory.OtherPunctuation, '\uA4FE');     // LISU PUNCTUATION COMMA
        Set(UnicodeCategory.MathSymbol, '\uFB29');           // HEBREW LETTER ALTERNATIVE PLUS SIGN
        Set(UnicodeCategory.CurrencySymbol, '\uA838');       // NORTH INDIC RUPEE MARK
        Set(UnicodeCategory.ModifierSymbol, '\uA700');       // MODIFIER LETTER CHINESE TONE YIN PING
        Set(UnicodeCategory.OtherSymbol, '\uA490');          // YI RADICAL QOT
        Set(UnicodeCategory.OtherNotAssigned, '\uFFFF');     // a noncharacter: unassigned forever
        return map;

        void Set(UnicodeCategory category, char standIn) => map[(int)category] = standIn;
    }
}
