using System.Text;

namespace DeepSharp.Chat.Jinja;

/// <summary>Variables visible at one point. For loops and macro calls open a child scope; if blocks do not.</summary>
internal sealed class Scope(Scope? parent)
{
    readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s != null; s = s.Parent)
        {
            if (s._vars.TryGetValue(name, out value)) return true;
        }
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _vars[name] = value;
}

/// <summary>Executes the AST. Errors from filters and operators surface as <see cref="JinjaException"/> and are
/// turned into <see cref="ChatTemplateException"/> at the innermost node, so the message names its line.</summary>
internal sealed class Evaluator
{
    enum Flow { Normal, Break, Continue }

    const int MaxCallDepth = 200;
    int _callDepth;

    public static string Render(IReadOnlyList<Stmt> body, Scope globals)
    {
        var evaluator = new Evaluator();
        var output = new StringBuilder();
        evaluator.Execute(body, globals, output);
        return output.ToString();
    }

    Flow Execute(IReadOnlyList<Stmt> body, Scope scope, StringBuilder output)
    {
        foreach (var stmt in body)
        {
            var flow = ExecuteOne(stmt, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    Flow ExecuteOne(Stmt stmt, Scope scope, StringBuilder output)
    {
        try
        {
            return Dispatch(stmt, scope, output);
        }
        catch (JinjaException ex)
        {
            throw new ChatTemplateException(ex.Message, stmt.Pos.Line, stmt.Pos.Column, ex.RaisedByTemplate);
        }
    }

    Flow Dispatch(Stmt stmt, Scope scope, StringBuilder output)
    {
        switch (stmt)
        {
            case TextStmt text: output.Append(text.Text); return Flow.Normal;
            case OutputStmt o: output.Append(Py.Str(Eval(o.Value, scope))); return Flow.Normal;
            case IfStmt i: return ExecuteIf(i, scope, output);
            case ForStmt f: return ExecuteFor(f, scope, output);
            case SetStmt s: ExecuteSet(s, scope); return Flow.Normal;
            case SetBlockStmt sb: scope.Set(sb.Target, RenderToString(sb.Body, new Scope(scope))); return Flow.Normal;
            case MacroStmt m: scope.Set(m.Name, new Macro(this, m, scope)); return Flow.Normal;
            case CallBlockStmt c: output.Append(Py.Str(ExecuteCallBlock(c, scope))); return Flow.Normal;
            case FilterBlockStmt fb:
                string inner = RenderToString(fb.Body, scope);
                output.Append(Py.Str(ApplyFilter(fb.Filter, inner, scope)));
                return Flow.Normal;
            case BreakStmt: return Flow.Break;
            case ContinueStmt: return Flow.Continue;
            case BlockPassThroughStmt p: return Execute(p.Body, scope, output);
            default: throw new JinjaException($"unsupported statement {stmt.GetType().Name}");
        }
    }

    string RenderToString(IReadOnlyList<Stmt> body, Scope scope)
    {
        var sb = new StringBuilder();
        Execute(body, scope, sb);
        return sb.ToString();
    }

    Flow ExecuteIf(IfStmt stmt, Scope scope, StringBuilder output)
    {
        foreach (var branch in stmt.Branches)
        {
            if (Py.Truthy(Eval(branch.Condition, scope))) return Execute(branch.Body, scope, output);
        }
        return stmt.Else != null ? Execute(stmt.Else, scope, output) : Flow.Normal;
    }

    Flow ExecuteFor(ForStmt stmt, Scope scope, StringBuilder output)
    {
        var source = Eval(stmt.Iterable, scope);
        if (source is Undefined) source = new List<object?>();
        var items = Py.Iterate(source);
        if (stmt.Filter != null)
        {
            items = items.Where(item =>
            {
                var probe = new Scope(scope);
                BindTargets(stmt.Targets, item, probe);
                return Py.Truthy(Eval(stmt.Filter, probe));
            }).ToList();
        }
        if (items.Count == 0)
        {
            return stmt.Else != null ? Execute(stmt.Else, scope, output) : Flow.Normal;
        }
        for (int i = 0; i < items.Count; i++)
        {
            var iteration = new Scope(scope);
            BindTargets(stmt.Targets, items[i], iteration);
            iteration.Set("loop", new LoopContext(items, i));
            if (Execute(stmt.Body, iteration, output) == Flow.Break) break;
        }
        return Flow.Normal;
    }

    static void BindTargets(IReadOnlyList<string> targets, object? value, Scope scope)
    {
        if (targets.Count == 1)
        {
            scope.Set(targets[0], value);
            return;
        }
        var parts = value as List<object?> ?? Py.Iterate(value);
        if (parts.Count != targets.Count)
        {
            throw new JinjaException($"cannot unpack {parts.Count} value(s) into {targets.Count} target(s)");
        }
        for (int i = 0; i < targets.Count; i++) scope.Set(targets[i], parts[i]);
    }

    void ExecuteSet(SetStmt stmt, Scope scope)
    {
        var value = Eval(stmt.Value, scope);
        if (stmt.Attribute == null)
        {
            BindTargets(stmt.Targets, value, scope);
            return;
        }
        string name = stmt.Targets[0];
        if (!scope.TryGet(name, out var target) || target is not JinjaNamespace ns)
        {
            throw new JinjaException($"cannot assign attribute '{stmt.Attribute}' on '{name}': it is not a namespace() object");
        }
        ns.Attributes[stmt.Attribute] = value;
    }

    object? ExecuteCallBlock(CallBlockStmt stmt, Scope scope)
    {
        var callee = Eval(stmt.Call.Callee, scope);
        if (callee is not JinjaCallable callable) throw new JinjaException("{% call %} needs a macro");
        var args = EvalArguments(stmt.Call.Args, scope);
        var callerDef = new MacroStmt(stmt.Pos, "caller", stmt.CallerParams, stmt.Body);
        args.Keywords["caller"] = new Macro(this, callerDef, scope);
        return callable.Invoke(args);
    }

    /// <summary>A macro closes over the scope it was defined in (live, so later top-level sets are visible).</summary>
    sealed class Macro(Evaluator evaluator, MacroStmt definition, Scope closure) : JinjaCallable
    {
        public override object? Invoke(CallArguments args)
        {
            var scope = new Scope(closure);
            var parameters = definition.Params;
            if (args.Positional.Count > parameters.Count)
            {
                throw new JinjaException($"macro '{definition.Name}' takes not more than {parameters.Count} argument(s)");
            }
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                object? value;
                if (i < args.Positional.Count) value = args.Positional[i];
                else if (args.Keywords.TryGetValue(p.Name, out var kw)) value = kw;
                else if (p.Default != null) value = evaluator.Eval(p.Default, scope);
                else value = new Undefined($"parameter '{p.Name}' of macro '{definition.Name}' was not provided");
                scope.Set(p.Name, value);
            }
            if (args.Keywords.TryGetValue("caller", out var caller)) scope.Set("caller", caller);
            if (++evaluator._callDepth > MaxCallDepth)
            {
                evaluator._callDepth = 0;
                throw new JinjaException($"macro '{definition.Name}': maximum recursion depth exceeded");
            }
            try
            {
                return evaluator.RenderToString(definition.Body, scope);
            }
            finally
            {
                evaluator._callDepth--;
            }
        }
    }

    // ---- expressions --------------------------------------------------------------------------------------

    public object? Eval(Expr expr, Scope scope)
    {
        try
        {
            return EvalCore(expr, scope);
        }
        catch (JinjaException ex)
        {
            throw new ChatTemplateException(ex.Message, expr.Pos.Line, expr.Pos.Column, ex.RaisedByTemplate);
        }
    }

    object? EvalCore(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case LiteralExpr lit: return lit.Value;
            case NameExpr name: return Lookup(name.Name, scope);
            case ListExpr list: return list.Items.Select(i => Eval(i, scope)).ToList();
            case DictExpr dict: return EvalDict(dict, scope);
            case AttributeExpr attr: return Access.GetAttribute(Eval(attr.Target, scope), attr.Name);
            case IndexExpr idx: return Access.GetItem(Eval(idx.Target, scope), Eval(idx.Index, scope));
            case SliceExpr slice: return EvalSlice(slice, scope);
            case CallExpr call: return EvalCall(call, scope);
            case FilterExpr filter: return ApplyFilter(filter, Eval(filter.Input!, scope), scope);
            case TestExpr test: return EvalTest(test, scope);
            case UnaryExpr unary: return EvalUnary(unary, scope);
            case BinaryExpr binary: return EvalBinary(binary, scope);
            case CompareExpr compare: return EvalCompare(compare, scope);
            case ConditionalExpr cond:
                if (Py.Truthy(Eval(cond.Condition, scope))) return Eval(cond.Then, scope);
                return cond.Otherwise != null ? Eval(cond.Otherwise, scope) : new Undefined("conditional expression has no else branch");
            default: throw new JinjaException($"unsupported expression {expr.GetType().Name}");
        }
    }

    static object? Lookup(string name, Scope scope)
    {
        if (scope.TryGet(name, out var value)) return value;
        if (Builtins.Globals.TryGetValue(name, out var builtin)) return builtin;
        return new Undefined($"'{name}' is undefined");
    }

    OrderedDictionary<string, object?> EvalDict(DictExpr dict, Scope scope)
    {
        var result = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (keyExpr, valueExpr) in dict.Pairs)
        {
            var key = Eval(keyExpr, scope);
            result[key as string ?? Py.Str(key)] = Eval(valueExpr, scope);
        }
        return result;
    }

    object? EvalSlice(SliceExpr slice, Scope scope)
    {
        var target = Eval(slice.Target, scope);
        long? Bound(Expr? e)
        {
            if (e == null) return null;
            var v = Eval(e, scope);
            return v switch
            {
                null => null,
                long l => l,
                bool b => b ? 1 : 0,
                _ => throw new JinjaException($"slice indices must be integers or None, not {Py.TypeName(v)}"),
            };
        }
        return Access.Slice(target, Bound(slice.Start), Bound(slice.Stop), Bound(slice.Step));
    }

    CallArguments EvalArguments(IReadOnlyList<Argument> args, Scope scope)
    {
        var positional = new List<object?>();
        var keywords = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var arg in args)
        {
            if (arg.Name == null) positional.Add(Eval(arg.Value, scope));
            else keywords[arg.Name] = Eval(arg.Value, scope);
        }
        return new CallArguments(positional, keywords);
    }

    object? EvalCall(CallExpr call, Scope scope)
    {
        var callee = Eval(call.Callee, scope);
        var args = EvalArguments(call.Args, scope);
        return callee switch
        {
            JinjaCallable fn => fn.Invoke(args),
            Undefined u => throw new JinjaException(u.Hint),
            _ => throw new JinjaException($"'{Py.TypeName(callee)}' object is not callable"),
        };
    }

    object? ApplyFilter(FilterExpr filter, object? input, Scope scope)
    {
        var args = EvalArguments(filter.Args, scope);
        return Filters.Apply(filter.Name, input, args);
    }

    bool EvalTest(TestExpr test, Scope scope)
    {
        var input = Eval(test.Input, scope);
        var args = EvalArguments(test.Args, scope);
        bool result = Tests.Apply(test.Name, input, args);
        return test.Negated ? !result : result;
    }

    object? EvalUnary(UnaryExpr unary, Scope scope)
    {
        var operand = Eval(unary.Operand, scope);
        return unary.Op switch
        {
            "not" => !Py.Truthy(operand),
            "-" => operand switch
            {
                long l => (object)(-l),
                double d => -d,
                bool b => b ? -1L : 0L,
                _ => throw new JinjaException($"bad operand type for unary -: '{Py.TypeName(operand)}'"),
            },
            _ => Py.IsNumber(operand) ? operand : throw new JinjaException($"bad operand type for unary +: '{Py.TypeName(operand)}'"),
        };
    }

    object? EvalBinary(BinaryExpr binary, Scope scope)
    {
        var left = Eval(binary.Left, scope);
        switch (binary.Op)
        {
            case "and": return Py.Truthy(left) ? Eval(binary.Right, scope) : left;
            case "or": return Py.Truthy(left) ? left : Eval(binary.Right, scope);
            case "~": return Py.Str(left) + Py.Str(Eval(binary.Right, scope));
            default: return Arithmetic.Apply(binary.Op, left, Eval(binary.Right, scope));
        }
    }

    bool EvalCompare(CompareExpr compare, Scope scope)
    {
        var left = Eval(compare.First, scope);
        foreach (var (op, operandExpr) in compare.Rest)
        {
            var right = Eval(operandExpr, scope);
            bool ok = op switch
            {
                "==" => Py.ValueEquals(left, right),
                "!=" => !Py.ValueEquals(left, right),
                "<" => Py.Compare(Defined(left), Defined(right)) < 0,
                "<=" => Py.Compare(Defined(left), Defined(right)) <= 0,
                ">" => Py.Compare(Defined(left), Defined(right)) > 0,
                ">=" => Py.Compare(Defined(left), Defined(right)) >= 0,
                "in" => Py.Contains(right, left),
                _ => !Py.Contains(right, left),
            };
            if (!ok) return false;
            left = right;
        }
        return true;
    }

    static object? Defined(object? v) => v is Undefined u ? throw new JinjaException(u.Hint) : v;
}
