using System.Globalization;

namespace DeepSharp.Chat.Jinja;

/// <summary>
/// Recursive-descent parser from tokens to the AST, with Jinja2's operator precedence (lowest first):
/// conditional, or, and, not, comparison/in, + -, ~, * / // %, **, unary minus, then postfix (. [] ()) and
/// filter/test chains (| and is).
/// </summary>
internal sealed class Parser
{
    static readonly HashSet<string> CompareOps = ["==", "!=", "<", "<=", ">", ">="];
    static readonly HashSet<string> TestArgStoppers = ["else", "or", "and", "if", "in", "not", "is"];

    readonly List<Token> _tokens;
    readonly Stack<Token> _openBlocks = new(); // block tags awaiting their end tag, for "not closed" errors
    int _pos;

    Parser(List<Token> tokens) => _tokens = tokens;

    public static IReadOnlyList<Stmt> Parse(string source)
    {
        var parser = new Parser(Lexer.Tokenize(source));
        var (body, end) = parser.ParseStatements();
        if (end != null) throw parser.Error($"unexpected '{end}'");
        return body;
    }

    Token Current => _tokens[_pos];
    Token Next() => _tokens[_pos++];
    static SourcePos PosOf(Token t) => new(t.Line, t.Column);

    ChatTemplateException Error(string message) => Error(message, Current);

    static ChatTemplateException Error(string message, Token at) => new(message, at.Line, at.Column);

    static string Describe(Token t) => t.Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.BlockEnd or TokenKind.VarEnd => $"end of tag '{t.Value}'",
        TokenKind.String => "string literal",
        _ => $"'{t.Value}'",
    };

    Token Expect(TokenKind kind, string? value = null)
    {
        var t = Current;
        if (t.Kind != kind || (value != null && t.Value != value))
        {
            string wanted = value ?? kind.ToString();
            throw Error($"expected '{wanted}' but found {Describe(t)}");
        }
        _pos++;
        return t;
    }

    bool AcceptOp(string op)
    {
        if (!Current.IsOp(op)) return false;
        _pos++;
        return true;
    }

    bool AcceptName(string name)
    {
        if (!Current.IsName(name)) return false;
        _pos++;
        return true;
    }

    string ExpectName() => Expect(TokenKind.Name).Value;

    // ---- statements ---------------------------------------------------------------------------------------

    /// <summary>Parses until a block tag named in <paramref name="terminators"/>; returns that tag's name (its
    /// remaining tokens are left for the caller), or null at end of input.</summary>
    (List<Stmt> Body, string? End) ParseStatements(params string[] terminators)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.Eof:
                    if (terminators.Length == 0) return (body, null);
                    var opener = _openBlocks.Count > 0 ? _openBlocks.Peek() : t;
                    throw Error($"unexpected end of template: '{opener.Value}' is never closed (expected {{% {string.Join(" or ", terminators)} %}})", opener);
                case TokenKind.Text:
                    _pos++;
                    body.Add(new TextStmt(PosOf(t), t.Value));
                    break;
                case TokenKind.VarBegin:
                    _pos++;
                    var expr = ParseTuple(allowConditional: true);
                    Expect(TokenKind.VarEnd);
                    body.Add(new OutputStmt(PosOf(t), expr));
                    break;
                case TokenKind.BlockBegin:
                    _pos++;
                    var keyword = Current;
                    if (keyword.Kind == TokenKind.Name && terminators.Contains(keyword.Value))
                    {
                        _pos++;
                        return (body, keyword.Value);
                    }
                    body.Add(ParseBlockStatement(t));
                    break;
                default:
                    throw Error($"unexpected {Describe(t)}");
            }
        }
    }

    Stmt ParseBlockStatement(Token begin)
    {
        var keyword = Current;
        if (keyword.Kind != TokenKind.Name) throw Error($"expected a tag name but found {Describe(keyword)}");
        _pos++;
        _openBlocks.Push(keyword);
        try
        {
            return ParseBlockStatement(keyword, PosOf(begin));
        }
        finally
        {
            _openBlocks.Pop();
        }
    }

    Stmt ParseBlockStatement(Token keyword, SourcePos pos)
    {
        switch (keyword.Value)
        {
            case "if": return ParseIf(pos);
            case "for": return ParseFor(pos);
            case "set": return ParseSet(pos);
            case "macro": return ParseMacro(pos);
            case "call": return ParseCallBlock(pos);
            case "filter": return ParseFilterBlock(pos);
            case "break": Expect(TokenKind.BlockEnd); return new BreakStmt(pos);
            case "continue": Expect(TokenKind.BlockEnd); return new ContinueStmt(pos);
            case "generation":
                Expect(TokenKind.BlockEnd);
                var (body, _) = ParseStatements("endgeneration");
                Expect(TokenKind.BlockEnd);
                return new BlockPassThroughStmt(pos, body);
            default:
                throw Error($"unknown tag '{keyword.Value}'", keyword);
        }
    }

    IfStmt ParseIf(SourcePos pos)
    {
        var branches = new List<IfBranch>();
        List<Stmt>? elseBody = null;
        var condition = ParseTuple(allowConditional: true);
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var (body, end) = ParseStatements("elif", "else", "endif");
            branches.Add(new IfBranch(condition, body));
            if (end == "elif")
            {
                condition = ParseTuple(allowConditional: true);
                continue;
            }
            if (end == "else")
            {
                Expect(TokenKind.BlockEnd);
                (elseBody, _) = ParseStatements("endif");
            }
            Expect(TokenKind.BlockEnd);
            return new IfStmt(pos, branches, elseBody);
        }
    }

    ForStmt ParseFor(SourcePos pos)
    {
        var targets = ParseTargetNames();
        Expect(TokenKind.Name, "in");
        var iterable = ParseTuple(allowConditional: false);
        Expr? filter = null;
        if (AcceptName("if")) filter = ParseExpression();
        if (Current.IsName("recursive")) throw Error("recursive loops are not supported");
        Expect(TokenKind.BlockEnd);
        var (body, end) = ParseStatements("else", "endfor");
        List<Stmt>? elseBody = null;
        if (end == "else")
        {
            Expect(TokenKind.BlockEnd);
            (elseBody, _) = ParseStatements("endfor");
        }
        Expect(TokenKind.BlockEnd);
        return new ForStmt(pos, targets, iterable, filter, body, elseBody);
    }

    List<string> ParseTargetNames()
    {
        bool parenthesized = AcceptOp("(");
        var names = new List<string> { ExpectName() };
        while (AcceptOp(",")) names.Add(ExpectName());
        if (parenthesized) Expect(TokenKind.Operator, ")");
        return names;
    }

    Stmt ParseSet(SourcePos pos)
    {
        string first = ExpectName();
        if (AcceptOp("."))
        {
            string attribute = ExpectName();
            Expect(TokenKind.Operator, "=");
            var value = ParseTuple(allowConditional: true);
            Expect(TokenKind.BlockEnd);
            return new SetStmt(pos, [first], attribute, value);
        }
        var targets = new List<string> { first };
        while (AcceptOp(",")) targets.Add(ExpectName());
        if (targets.Count == 1 && Current.Kind == TokenKind.BlockEnd)
        {
            _pos++;
            var (body, _) = ParseStatements("endset");
            Expect(TokenKind.BlockEnd);
            return new SetBlockStmt(pos, first, body);
        }
        Expect(TokenKind.Operator, "=");
        var expr = ParseTuple(allowConditional: true);
        Expect(TokenKind.BlockEnd);
        return new SetStmt(pos, targets, null, expr);
    }

    MacroStmt ParseMacro(SourcePos pos)
    {
        string name = ExpectName();
        var parameters = ParseParameterList();
        Expect(TokenKind.BlockEnd);
        var (body, _) = ParseStatements("endmacro");
        if (Current.Kind == TokenKind.Name) _pos++; // {% endmacro name %}
        Expect(TokenKind.BlockEnd);
        return new MacroStmt(pos, name, parameters, body);
    }

    List<MacroParam> ParseParameterList()
    {
        var parameters = new List<MacroParam>();
        Expect(TokenKind.Operator, "(");
        while (!AcceptOp(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Operator, ",");
            if (AcceptOp(")")) break;
            string name = ExpectName();
            Expr? dflt = AcceptOp("=") ? ParseExpression() : null;
            parameters.Add(new MacroParam(name, dflt));
        }
        return parameters;
    }

    CallBlockStmt ParseCallBlock(SourcePos pos)
    {
        var callerParams = Current.IsOp("(") ? ParseParameterList() : [];
        var call = ParseExpression() as CallExpr ?? throw Error("expected a macro call in {% call %}");
        Expect(TokenKind.BlockEnd);
        var (body, _) = ParseStatements("endcall");
        Expect(TokenKind.BlockEnd);
        return new CallBlockStmt(pos, callerParams, call, body);
    }

    FilterBlockStmt ParseFilterBlock(SourcePos pos)
    {
        var filter = ParseFilter(null);
        Expect(TokenKind.BlockEnd);
        var (body, _) = ParseStatements("endfilter");
        Expect(TokenKind.BlockEnd);
        return new FilterBlockStmt(pos, filter, body);
    }

    // ---- expressions --------------------------------------------------------------------------------------

    /// <summary>An expression, or a bare tuple <c>a, b</c> (a list value).</summary>
    Expr ParseTuple(bool allowConditional)
    {
        var start = Current;
        var first = allowConditional ? ParseExpression() : ParseOr();
        if (!Current.IsOp(",")) return first;
        var items = new List<Expr> { first };
        while (AcceptOp(","))
        {
            if (Current.Kind is TokenKind.BlockEnd or TokenKind.VarEnd) break;
            items.Add(allowConditional ? ParseExpression() : ParseOr());
        }
        return new ListExpr(PosOf(start), items);
    }

    Expr ParseExpression()
    {
        var start = Current;
        var expr = ParseOr();
        if (!AcceptName("if")) return expr;
        var condition = ParseOr();
        Expr? otherwise = AcceptName("else") ? ParseExpression() : null;
        return new ConditionalExpr(PosOf(start), condition, expr, otherwise);
    }

    Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var op = Next();
            left = new BinaryExpr(PosOf(op), "or", left, ParseAnd());
        }
        return left;
    }

    Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var op = Next();
            left = new BinaryExpr(PosOf(op), "and", left, ParseNot());
        }
        return left;
    }

    Expr ParseNot()
    {
        if (!Current.IsName("not")) return ParseCompare();
        var op = Next();
        return new UnaryExpr(PosOf(op), "not", ParseNot());
    }

    Expr ParseCompare()
    {
        var start = Current;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && CompareOps.Contains(Current.Value))
            {
                string op = Next().Value;
                rest.Add((op, ParseMath1()));
            }
            else if (AcceptName("in"))
            {
                rest.Add(("in", ParseMath1()));
            }
            else if (Current.IsName("not") && _tokens[_pos + 1].IsName("in"))
            {
                _pos += 2;
                rest.Add(("not in", ParseMath1()));
            }
            else
            {
                break;
            }
        }
        return rest.Count == 0 ? first : new CompareExpr(PosOf(start), first, rest);
    }

    Expr ParseBinaryLevel(Func<Expr> operand, params string[] ops)
    {
        var left = operand();
        while (Current.Kind == TokenKind.Operator && ops.Contains(Current.Value))
        {
            var op = Next();
            left = new BinaryExpr(PosOf(op), op.Value, left, operand());
        }
        return left;
    }

    Expr ParseMath1() => ParseBinaryLevel(ParseConcat, "+", "-");
    Expr ParseConcat() => ParseBinaryLevel(ParseMath2, "~");
    Expr ParseMath2() => ParseBinaryLevel(ParsePow, "*", "/", "//", "%");
    Expr ParsePow() => ParseBinaryLevel(() => ParseUnary(withFilter: true), "**");

    Expr ParseUnary(bool withFilter)
    {
        var t = Current;
        Expr node;
        if (t.IsOp("-") || t.IsOp("+"))
        {
            _pos++;
            node = new UnaryExpr(PosOf(t), t.Value, ParseUnary(withFilter: false));
        }
        else
        {
            node = ParsePostfix(ParsePrimary());
        }
        return withFilter ? ParseFilterChain(node) : node;
    }

    Expr ParseFilterChain(Expr node)
    {
        while (true)
        {
            if (AcceptOp("|")) node = ParseFilter(node);
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.IsOp("(")) node = ParseCall(node);
            else return node;
        }
    }

    FilterExpr ParseFilter(Expr? input)
    {
        var nameToken = Expect(TokenKind.Name);
        var args = Current.IsOp("(") ? ParseArguments() : [];
        return new FilterExpr(PosOf(nameToken), input, nameToken.Value, args);
    }

    TestExpr ParseTest(Expr input)
    {
        var isToken = Next();
        bool negated = AcceptName("not");
        string name = ExpectName();
        List<Argument> args = [];
        if (Current.IsOp("("))
        {
            args = ParseArguments();
        }
        else if (Current.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
                 || (Current.Kind == TokenKind.Name && !TestArgStoppers.Contains(Current.Value)))
        {
            args = [new Argument(null, ParsePostfix(ParsePrimary()))];
        }
        return new TestExpr(PosOf(isToken), input, name, args, negated);
    }

    Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Current;
            if (AcceptOp("."))
            {
                var member = Next();
                if (member.Kind == TokenKind.Name) node = new AttributeExpr(PosOf(t), node, member.Value);
                else if (member.Kind == TokenKind.Integer) node = new IndexExpr(PosOf(t), node, new LiteralExpr(PosOf(member), ParseInteger(member)));
                else throw Error($"expected an attribute name after '.' but found {Describe(member)}", member);
            }
            else if (AcceptOp("["))
            {
                node = ParseSubscript(node, t);
            }
            else if (t.IsOp("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    Expr ParseSubscript(Expr target, Token open)
    {
        Expr? start = Current.IsOp(":") ? null : ParseExpression();
        if (AcceptOp("]"))
        {
            return new IndexExpr(PosOf(open), target, start!);
        }
        Expect(TokenKind.Operator, ":");
        Expr? stop = Current.IsOp(":") || Current.IsOp("]") ? null : ParseExpression();
        Expr? step = null;
        if (AcceptOp(":") && !Current.IsOp("]")) step = ParseExpression();
        Expect(TokenKind.Operator, "]");
        return new SliceExpr(PosOf(open), target, start, stop, step);
    }

    CallExpr ParseCall(Expr callee) => new(callee.Pos, callee, ParseArguments());

    List<Argument> ParseArguments()
    {
        Expect(TokenKind.Operator, "(");
        var args = new List<Argument>();
        while (!AcceptOp(")"))
        {
            if (args.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (AcceptOp(")")) break;
            }
            if (Current.Kind == TokenKind.Name && _tokens[_pos + 1].IsOp("="))
            {
                string name = Next().Value;
                _pos++;
                args.Add(new Argument(name, ParseExpression()));
            }
            else
            {
                args.Add(new Argument(null, ParseExpression()));
            }
        }
        return args;
    }

    Expr ParsePrimary()
    {
        var t = Current;
        var pos = PosOf(t);
        switch (t.Kind)
        {
            case TokenKind.Name:
                _pos++;
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(pos, true),
                    "false" or "False" => new LiteralExpr(pos, false),
                    "none" or "None" => new LiteralExpr(pos, null),
                    _ => new NameExpr(pos, t.Value),
                };
            case TokenKind.String:
                string text = "";
                while (Current.Kind == TokenKind.String) text += Next().Value; // adjacent literals concatenate
                return new LiteralExpr(pos, text);
            case TokenKind.Integer:
                _pos++;
                return new LiteralExpr(pos, ParseInteger(t));
            case TokenKind.Float:
                _pos++;
                return new LiteralExpr(pos, double.Parse(t.Value, CultureInfo.InvariantCulture));
            case TokenKind.Operator when t.Value == "(":
                return ParseParenthesized();
            case TokenKind.Operator when t.Value == "[":
                return ParseList();
            case TokenKind.Operator when t.Value == "{":
                return ParseDict();
            default:
                throw Error($"unexpected {Describe(t)} in expression");
        }
    }

    static long ParseInteger(Token t) =>
        long.TryParse(t.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : throw Error("integer literal too large", t);

    Expr ParseParenthesized()
    {
        var open = Next();
        if (AcceptOp(")")) return new ListExpr(PosOf(open), []);
        var first = ParseExpression();
        if (AcceptOp(")")) return first;
        var items = new List<Expr> { first };
        while (AcceptOp(","))
        {
            if (Current.IsOp(")")) break;
            items.Add(ParseExpression());
        }
        Expect(TokenKind.Operator, ")");
        return new ListExpr(PosOf(open), items);
    }

    ListExpr ParseList()
    {
        var open = Next();
        var items = new List<Expr>();
        while (!AcceptOp("]"))
        {
            if (items.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (AcceptOp("]")) break;
            }
            items.Add(ParseExpression());
        }
        return new ListExpr(PosOf(open), items);
    }

    DictExpr ParseDict()
    {
        var open = Next();
        var pairs = new List<(Expr, Expr)>();
        while (!AcceptOp("}"))
        {
            if (pairs.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (AcceptOp("}")) break;
            }
            var key = ParseExpression();
            Expect(TokenKind.Operator, ":");
            pairs.Add((key, ParseExpression()));
        }
        return new DictExpr(PosOf(open), pairs);
    }
}
