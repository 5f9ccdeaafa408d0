namespace DeepSharp.Chat.Jinja;

/// <summary>Where a node starts in the template (1-based), so errors can name it.</summary>
internal readonly record struct SourcePos(int Line, int Column);

// ---- statements -------------------------------------------------------------------------------------------

internal abstract record Stmt(SourcePos Pos);

internal sealed record TextStmt(SourcePos Pos, string Text) : Stmt(Pos);

/// <summary><c>{{ expr }}</c>.</summary>
internal sealed record OutputStmt(SourcePos Pos, Expr Value) : Stmt(Pos);

internal sealed record IfBranch(Expr Condition, IReadOnlyList<Stmt> Body);

internal sealed record IfStmt(SourcePos Pos, IReadOnlyList<IfBranch> Branches, IReadOnlyList<Stmt>? Else) : Stmt(Pos);

/// <summary><c>{% for a, b in iterable if filter %}body{% else %}empty{% endfor %}</c>.</summary>
internal sealed record ForStmt(
    SourcePos Pos,
    IReadOnlyList<string> Targets,
    Expr Iterable,
    Expr? Filter,
    IReadOnlyList<Stmt> Body,
    IReadOnlyList<Stmt>? Else) : Stmt(Pos);

/// <summary><c>{% set name = v %}</c>, <c>{% set a, b = v %}</c> or <c>{% set ns.attr = v %}</c>.</summary>
internal sealed record SetStmt(SourcePos Pos, IReadOnlyList<string> Targets, string? Attribute, Expr Value) : Stmt(Pos);

/// <summary><c>{% set name %}body{% endset %}</c>.</summary>
internal sealed record SetBlockStmt(SourcePos Pos, string Target, IReadOnlyList<Stmt> Body) : Stmt(Pos);

internal sealed record MacroParam(string Name, Expr? Default);

internal sealed record MacroStmt(SourcePos Pos, string Name, IReadOnlyList<MacroParam> Params, IReadOnlyList<Stmt> Body) : Stmt(Pos);

/// <summary><c>{% call(args) macro(...) %}body{% endcall %}</c>: body is available to the macro as <c>caller()</c>.</summary>
internal sealed record CallBlockStmt(SourcePos Pos, IReadOnlyList<MacroParam> CallerParams, CallExpr Call, IReadOnlyList<Stmt> Body) : Stmt(Pos);

/// <summary><c>{% filter name(args) %}body{% endfilter %}</c>.</summary>
internal sealed record FilterBlockStmt(SourcePos Pos, FilterExpr Filter, IReadOnlyList<Stmt> Body) : Stmt(Pos);

internal sealed record BreakStmt(SourcePos Pos) : Stmt(Pos);

internal sealed record ContinueStmt(SourcePos Pos) : Stmt(Pos);

/// <summary><c>{% generation %}</c> (HF assistant-mask marker): renders its body unchanged.</summary>
internal sealed record BlockPassThroughStmt(SourcePos Pos, IReadOnlyList<Stmt> Body) : Stmt(Pos);

// ---- expressions ------------------------------------------------------------------------------------------

internal abstract record Expr(SourcePos Pos);

internal sealed record LiteralExpr(SourcePos Pos, object? Value) : Expr(Pos);

internal sealed record NameExpr(SourcePos Pos, string Name) : Expr(Pos);

internal sealed record ListExpr(SourcePos Pos, IReadOnlyList<Expr> Items) : Expr(Pos);

internal sealed record DictExpr(SourcePos Pos, IReadOnlyList<(Expr Key, Expr Value)> Pairs) : Expr(Pos);

internal sealed record AttributeExpr(SourcePos Pos, Expr Target, string Name) : Expr(Pos);

internal sealed record IndexExpr(SourcePos Pos, Expr Target, Expr Index) : Expr(Pos);

internal sealed record SliceExpr(SourcePos Pos, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Pos);

internal sealed record Argument(string? Name, Expr Value);

internal sealed record CallExpr(SourcePos Pos, Expr Callee, IReadOnlyList<Argument> Args) : Expr(Pos);

/// <summary><c>input | name(args)</c>.</summary>
internal sealed record FilterExpr(SourcePos Pos, Expr? Input, string Name, IReadOnlyList<Argument> Args) : Expr(Pos);

/// <summary><c>input is [not] name(args)</c>.</summary>
internal sealed record TestExpr(SourcePos Pos, Expr Input, string Name, IReadOnlyList<Argument> Args, bool Negated) : Expr(Pos);

internal sealed record UnaryExpr(SourcePos Pos, string Op, Expr Operand) : Expr(Pos);

/// <summary>Arithmetic, <c>~</c>, and the short-circuit <c>and</c>/<c>or</c>.</summary>
internal sealed record BinaryExpr(SourcePos Pos, string Op, Expr Left, Expr Right) : Expr(Pos);

/// <summary>A comparison chain <c>a &lt; b &lt;= c</c>, including <c>in</c> and <c>not in</c>.</summary>
internal sealed record CompareExpr(SourcePos Pos, Expr First, IReadOnlyList<(string Op, Expr Operand)> Rest) : Expr(Pos);

/// <summary><c>then if condition else otherwise</c>; a missing else yields Undefined.</summary>
internal sealed record ConditionalExpr(SourcePos Pos, Expr Condition, Expr Then, Expr? Otherwise) : Expr(Pos);
