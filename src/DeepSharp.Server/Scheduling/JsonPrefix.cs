namespace DeepSharp.Server.Scheduling;

/// <summary>
/// Tracks whether text so far is a prefix of one JSON object (RFC 8259, leading whitespace allowed), one character at a
/// time. Used to constrain <c>response_format: json_object</c>: a token is allowed only if its text keeps the prefix
/// valid. <see cref="Clone"/> lets the sampler try a token without committing to it.
/// </summary>
internal sealed class JsonPrefix
{
    private enum State { Start, Value, KeyOrEnd, Key, Colon, AfterValue, String, Escape, Unicode, Number, Literal, Done }

    private readonly List<char> _containers;   // '{' or '['
    private State _state = State.Start;
    private bool _stringIsKey;
    private bool _arrayJustOpened;   // "]" may close it empty
    private int _unicodeLeft;
    private string _literal = "";
    private int _literalAt;
    private NumberState _number;

    public JsonPrefix() => _containers = [];

    private JsonPrefix(JsonPrefix other)
    {
        _containers = [.. other._containers];
        (_state, _stringIsKey, _arrayJustOpened, _unicodeLeft, _literal, _literalAt, _number) =
            (other._state, other._stringIsKey, other._arrayJustOpened, other._unicodeLeft, other._literal, other._literalAt, other._number);
    }

    /// <summary>The top-level object is closed.</summary>
    public bool IsComplete => _state == State.Done;

    public JsonPrefix Clone() => new(this);

    /// <summary>Feeds text; false (and an unusable state) when it cannot continue a JSON object.</summary>
    public bool TryPush(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
            if (!Step(c)) return false;
        return true;
    }

    private bool Step(char c)
    {
        switch (_state)
        {
            case State.Start:
                if (IsSpace(c)) return true;
                if (c != '{') return false;
                _containers.Add('{');
                _state = State.KeyOrEnd;
                return true;
            case State.Done: return IsSpace(c);
            case State.String: return StepString(c);
            case State.Escape:
                if (c == 'u') { _unicodeLeft = 4; _state = State.Unicode; return true; }
                _state = State.String;
                return "\"\\/bfnrt".Contains(c, StringComparison.Ordinal);
            case State.Unicode:
                if (!char.IsAsciiHexDigit(c)) return false;
                if (--_unicodeLeft == 0) _state = State.String;
                return true;
            case State.Literal:
                if (c != _literal[_literalAt++]) return false;
                if (_literalAt == _literal.Length) _state = State.AfterValue;
                return true;
            case State.Number:
                if (StepNumber(c)) return true;
                if (!_number.CanEnd) return false;
                _state = State.AfterValue;
                return Step(c);
            default: return IsSpace(c) || StepStructure(c);
        }
    }

    private bool StepStructure(char c)
    {
        switch (_state)
        {
            case State.KeyOrEnd when c == '}':
            case State.AfterValue when c is '}' or ']':
                return Close(c);
            case State.KeyOrEnd or State.Key when c == '"':
                _stringIsKey = true;
                _state = State.String;
                return true;
            case State.Colon when c == ':':
                _state = State.Value;
                return true;
            case State.AfterValue when c == ',':
                _state = _containers[^1] == '{' ? State.Key : State.Value;
                return true;
            case State.Value:
                return StartValue(c);
            default:
                return false;
        }
    }

    private bool StartValue(char c)
    {
        bool arrayJustOpened = _arrayJustOpened;
        _arrayJustOpened = false;
        switch (c)
        {
            case '{': _containers.Add('{'); _state = State.KeyOrEnd; return true;
            case '[': _containers.Add('['); _state = State.Value; _arrayJustOpened = true; return true;
            case '"': _stringIsKey = false; _state = State.String; return true;
            case 't': return StartLiteral("true");
            case 'f': return StartLiteral("false");
            case 'n': return StartLiteral("null");
            case ']' when arrayJustOpened: return Close(c);
            default:
                _number = default;
                _state = State.Number;
                return StepNumber(c);
        }
    }

    private bool StartLiteral(string literal)
    {
        (_literal, _literalAt, _state) = (literal, 1, State.Literal);
        return true;
    }

    private bool Close(char c)
    {
        if (_containers.Count == 0 || _containers[^1] != (c == '}' ? '{' : '[')) return false;
        _containers.RemoveAt(_containers.Count - 1);
        _state = _containers.Count == 0 ? State.Done : State.AfterValue;
        return true;
    }

    private bool StepString(char c)
    {
        if (c == '\\') { _state = State.Escape; return true; }
        if (c < ' ') return false;
        if (c != '"') return true;
        _state = _stringIsKey ? State.Colon : State.AfterValue;
        return true;
    }

    private bool StepNumber(char c) => _number.Step(c);

    /// <summary>The JSON number grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</summary>
    private struct NumberState
    {
        private int _phase; // 0 start, 1 after '-', 2 zero, 3 int digits, 4 after '.', 5 frac, 6 after e, 7 after sign, 8 exp digits

        public readonly bool CanEnd => _phase is 2 or 3 or 5 or 8;

        public bool Step(char c)
        {
            bool digit = char.IsAsciiDigit(c);
            int next = (_phase, c) switch
            {
                (0, '-') => 1,
                (0 or 1, '0') => 2,
                (0 or 1, _) when digit => 3,
                (3, _) when digit => 3,
                (2 or 3, '.') => 4,
                (4 or 5, _) when digit => 5,
                (2 or 3 or 5, 'e' or 'E') => 6,
                (6, '+' or '-') => 7,
                (6 or 7 or 8, _) when digit => 8,
                _ => -1,
            };
            if (next < 0) return false;
            _phase = next;
            return true;
        }
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r';
}
