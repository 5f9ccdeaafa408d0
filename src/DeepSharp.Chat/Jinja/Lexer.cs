using System.Globalization;
using System.Text;

namespace DeepSharp.Chat.Jinja;

internal enum TokenKind { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, Eof }

internal readonly record struct Token(TokenKind Kind, string Value, int Line, int Column)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;
    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;
    public bool IsOp(string op) => Kind == TokenKind.Operator && Value == op;
}

/// <summary>
/// Splits a template into text and tag tokens. Whitespace control follows Jinja2 with the options Hugging Face's
/// apply_chat_template sets: trim_blocks (drop the first newline after a block or comment tag) and lstrip_blocks
/// (drop spaces and tabs between the start of a line and a block or comment tag); '-' strips all whitespace on
/// that side of a tag and '+' disables the two options for that tag.
/// </summary>
internal sealed class Lexer
{
    static readonly string[] Operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}", "<", ">", "="];

    readonly string _src;
    readonly List<int> _lineStarts = [0];
    readonly List<Token> _tokens = [];
    int _pos;
    bool _stripNextText;    // previous tag ended with '-'
    bool _trimNextNewline;  // previous tag was a block/comment (trim_blocks)

    Lexer(string source)
    {
        _src = source;
        for (int i = 0; i < source.Length; i++) if (source[i] == '\n') _lineStarts.Add(i + 1);
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    (int Line, int Column) PositionOf(int offset)
    {
        int idx = _lineStarts.BinarySearch(offset);
        if (idx < 0) idx = ~idx - 1;
        return (idx + 1, offset - _lineStarts[idx] + 1);
    }

    void Add(TokenKind kind, string value, int offset)
    {
        var (line, col) = PositionOf(offset);
        _tokens.Add(new Token(kind, value, line, col));
    }

    ChatTemplateException Error(string message, int offset)
    {
        var (line, col) = PositionOf(offset);
        return new ChatTemplateException(message, line, col);
    }

    void Run()
    {
        while (_pos < _src.Length)
        {
            int open = FindTagStart(_pos);
            int end = open < 0 ? _src.Length : open;
            char kind = open < 0 ? '\0' : _src[open + 1];
            char modifier = open >= 0 && open + 2 < _src.Length ? _src[open + 2] : '\0';
            EmitText(_pos, end, kind, modifier);
            if (open < 0) break;
            _pos = open + 2 + (modifier is '-' or '+' ? 1 : 0);
            switch (kind)
            {
                case '#': LexComment(open); break;
                case '{': LexTag(open, TokenKind.VarBegin, TokenKind.VarEnd, "}}"); break;
                default:
                    if (!TryLexRaw(open)) LexTag(open, TokenKind.BlockBegin, TokenKind.BlockEnd, "%}");
                    break;
            }
        }
        Add(TokenKind.Eof, "", _src.Length);
    }

    int FindTagStart(int from)
    {
        for (int i = from; i + 1 < _src.Length; i++)
        {
            if (_src[i] == '{' && _src[i + 1] is '{' or '%' or '#') return i;
        }
        return -1;
    }

    void EmitText(int start, int end, char nextTagKind, char nextModifier)
    {
        if (_stripNextText)
        {
            while (start < end && char.IsWhiteSpace(_src[start])) start++;
        }
        else if (_trimNextNewline)
        {
            if (start < end && _src[start] == '\n') start++;
            else if (start + 1 < end && _src[start] == '\r' && _src[start + 1] == '\n') start += 2;
        }
        _stripNextText = _trimNextNewline = false;
        if (nextModifier == '-')
        {
            while (end > start && char.IsWhiteSpace(_src[end - 1])) end--;
        }
        else if (nextTagKind is '%' or '#' && nextModifier != '+')
        {
            end = LstripBlockIndent(start, end);
        }
        if (end > start) Add(TokenKind.Text, _src[start..end], start);
    }

    // lstrip_blocks: remove the spaces/tabs before a block tag when nothing else precedes it on its line.
    int LstripBlockIndent(int start, int end)
    {
        int i = end;
        while (i > start && _src[i - 1] is ' ' or '\t') i--;
        bool lineStart = i == 0 || _src[i - 1] == '\n';
        return lineStart ? i : end;
    }

    void LexComment(int open)
    {
        int close = _src.IndexOf("#}", _pos, StringComparison.Ordinal);
        if (close < 0) throw Error("unclosed comment '{#'", open);
        char before = close > _pos ? _src[close - 1] : '\0';
        _pos = close + 2;
        SetTagEndFlags(before, isBlock: true);
    }

    void SetTagEndFlags(char modifier, bool isBlock)
    {
        _stripNextText = modifier == '-';
        _trimNextNewline = !_stripNextText && isBlock && modifier != '+';
    }

    bool TryLexRaw(int open)
    {
        int i = SkipSpaces(_pos);
        if (!MatchWord(i, "raw")) return false;
        i = SkipSpaces(i + 3);
        char endModifier = _src.Length > i && _src[i] is '-' or '+' ? _src[i++] : '\0';
        if (!string.CompareOrdinal(_src, i, "%}", 0, 2).Equals(0)) return false;
        int bodyStart = i + 2;
        int search = bodyStart;
        while (true)
        {
            int tag = _src.IndexOf("{%", search, StringComparison.Ordinal);
            if (tag < 0) throw Error("unclosed '{% raw %}' block", open);
            int j = tag + 2;
            char openModifier = j < _src.Length && _src[j] is '-' or '+' ? _src[j++] : '\0';
            j = SkipSpaces(j);
            if (MatchWord(j, "endraw"))
            {
                j = SkipSpaces(j + 6);
                char closeModifier = j < _src.Length && _src[j] is '-' or '+' ? _src[j++] : '\0';
                if (string.CompareOrdinal(_src, j, "%}", 0, 2) != 0) throw Error("malformed endraw tag", tag);
                SetTagEndFlags(endModifier, isBlock: true);
                int bodyEnd = tag;
                EmitText(bodyStart, bodyEnd, '%', openModifier);
                _pos = j + 2;
                SetTagEndFlags(closeModifier, isBlock: true);
                return true;
            }
            search = tag + 2;
        }
    }

    bool MatchWord(int i, string word) =>
        string.CompareOrdinal(_src, i, word, 0, word.Length) == 0
        && (i + word.Length >= _src.Length || !IsNameChar(_src[i + word.Length]));

    int SkipSpaces(int i)
    {
        while (i < _src.Length && char.IsWhiteSpace(_src[i])) i++;
        return i;
    }

    static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    void LexTag(int open, TokenKind begin, TokenKind end, string closer)
    {
        Add(begin, _src.Substring(open, 2), open);
        int depth = 0; // open brackets: like Jinja2, "}}" inside "{'a': {}}" does not end the tag
        while (true)
        {
            _pos = SkipSpaces(_pos);
            if (_pos >= _src.Length) throw Error($"unclosed tag: expected '{closer}'", open);
            if (depth > 0)
            {
                depth += LexExpressionToken();
                continue;
            }
            if (string.CompareOrdinal(_src, _pos, closer, 0, 2) == 0)
            {
                Add(end, closer, _pos);
                _pos += 2;
                SetTagEndFlags('\0', begin == TokenKind.BlockBegin);
                return;
            }
            if (_src[_pos] is '-' or '+' && string.CompareOrdinal(_src, _pos + 1, closer, 0, 2) == 0)
            {
                char modifier = _src[_pos];
                Add(end, closer, _pos);
                _pos += 3;
                SetTagEndFlags(modifier, begin == TokenKind.BlockBegin);
                return;
            }
            depth += LexExpressionToken();
        }
    }

    /// <summary>Lexes one token; returns +1 for an opening bracket, -1 for a closing one, else 0.</summary>
    int LexExpressionToken()
    {
        char c = _src[_pos];
        int start = _pos;
        if (c is '\'' or '"')
        {
            Add(TokenKind.String, ReadString(c), start);
            return 0;
        }
        if (char.IsAsciiDigit(c))
        {
            LexNumber(start);
            return 0;
        }
        if (char.IsLetter(c) || c == '_')
        {
            while (_pos < _src.Length && IsNameChar(_src[_pos])) _pos++;
            Add(TokenKind.Name, _src[start.._pos], start);
            return 0;
        }
        foreach (string op in Operators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, op.Length) == 0)
            {
                _pos += op.Length;
                Add(TokenKind.Operator, op, start);
                return op switch { "(" or "[" or "{" => 1, ")" or "]" or "}" => -1, _ => 0 };
            }
        }
        throw Error($"unexpected character '{c}'", start);
    }

    void LexNumber(int start)
    {
        while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        bool isFloat = false;
        if (_pos + 1 < _src.Length && _src[_pos] == '.' && char.IsAsciiDigit(_src[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _src.Length && char.IsAsciiDigit(_src[_pos])) _pos++;
        }
        if (_pos < _src.Length && _src[_pos] is 'e' or 'E')
        {
            int save = _pos++;
            if (_pos < _src.Length && _src[_pos] is '+' or '-') _pos++;
            if (_pos < _src.Length && char.IsAsciiDigit(_src[_pos]))
            {
                isFloat = true;
                while (_pos < _src.Length && char.IsAsciiDigit(_src[_pos])) _pos++;
            }
            else
            {
                _pos = save;
            }
        }
        string text = _src[start.._pos].Replace("_", "", StringComparison.Ordinal);
        Add(isFloat ? TokenKind.Float : TokenKind.Integer, text, start);
    }

    // Python string literal escapes (Jinja2 unescapes string literals the same way).
    string ReadString(char quote)
    {
        int start = _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _src.Length) throw Error("unterminated string literal", start);
            char c = _src[_pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (_pos >= _src.Length) throw Error("unterminated string literal", start);
            char e = _src[_pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case '\n': break;
                case 'x': sb.Append(ReadHexEscape(2, start)); break;
                case 'u': sb.Append(ReadHexEscape(4, start)); break;
                case 'U': sb.Append(ReadHexEscape(8, start)); break;
                default: sb.Append('\\').Append(e); break;
            }
        }
    }

    string ReadHexEscape(int digits, int stringStart)
    {
        if (_pos + digits > _src.Length
            || !int.TryParse(_src.AsSpan(_pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
        {
            throw Error("invalid escape in string literal", stringStart);
        }
        _pos += digits;
        return char.ConvertFromUtf32(code);
    }
}
