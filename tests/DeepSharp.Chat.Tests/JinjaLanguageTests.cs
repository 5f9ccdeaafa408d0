using DeepSharp.Chat.Jinja;

namespace DeepSharp.Chat.Tests;

/// <summary>The Jinja subset, construct by construct, against what Jinja2 (as HF configures it) produces.</summary>
public class JinjaLanguageTests
{
    static string R(string template, params (string Name, object? Value)[] vars)
    {
        var scope = new Scope(null);
        foreach (var (name, value) in vars) scope.Set(name, Json.FromClr(value));
        return Evaluator.Render(Parser.Parse(template), scope);
    }

    [Theory]
    [InlineData("{{ 1 + 2 * 3 }}", "7")]
    [InlineData("{{ (1 + 2) * 3 }}", "9")]
    [InlineData("{{ 7 // 2 }},{{ -7 // 2 }},{{ 7 % 3 }},{{ -7 % 3 }},{{ 2 ** 10 }}", "3,-4,1,2,1024")]
    [InlineData("{{ 7 / 2 }},{{ 4 / 2 }},{{ 0.1 + 0.2 }},{{ 1e20 }},{{ 0.00001 }}", "3.5,2.0,0.30000000000000004,1e+20,1e-05")]
    [InlineData("{{ -1 }},{{ 'ab' * 3 }},{{ [1] + [2] }}", "-1,ababab,[1, 2]")]
    [InlineData("{{ 'a' ~ 1 ~ none ~ true }}", "a1NoneTrue")]
    [InlineData("{{ 1 < 2 < 3 }},{{ 3 > 2 > 2 }},{{ 1 == 1.0 }},{{ 'a' != 'b' }}", "True,False,True,True")]
    [InlineData("{{ 'b' in 'abc' }},{{ 2 not in [1, 2] }},{{ 'k' in {'k': 1} }}", "True,False,True")]
    [InlineData("{{ not true or true and false }}", "False")]
    [InlineData("{{ none or 'x' }},{{ '' and 'y' }},{{ 0 or [] }}", "x,,[]")]
    [InlineData("{{ 'yes' if 1 else 'no' }},{{ 'yes' if 0 else 'no' }},[{{ 'only' if false }}]", "yes,no,[]")]
    [InlineData("{{ [1, 'a', none, true, 1.5] }},{{ {'a': [1], 'b': 'x'} }}", "[1, 'a', None, True, 1.5],{'a': [1], 'b': 'x'}")]
    [InlineData("{{ 'abc'[::-1] }},{{ [1,2,3,4][1:3] }},{{ [1,2,3][-1] }},{{ 'hello'[1:] }},{{ [1,2,3,4,5][::2] }}", "cba,[2, 3],3,ello,[1, 3, 5]")]
    [InlineData("{{ 'a' 'b' }}", "ab")]
    [InlineData("{{ \"it's\" }}|{{ 'tab\\there' }}|{{ '\\u00e9' }}", "it's|tab\there|é")]
    public void Expressions(string template, string expected) => Assert.Equal(expected, R(template));

    [Theory]
    [InlineData("{{ '  x ' | trim }}|{{ 'xxhixx' | trim('x') }}", "x|hi")]
    [InlineData("{{ [1,2,3] | length }},{{ 'héllo' | length }},{{ {'a':1} | count }}", "3,5,1")]
    [InlineData("{{ 'Hello World' | lower }},{{ 'x' | upper }},{{ 'hello wORLD-foo' | title }},{{ 'hELLO' | capitalize }}", "hello world,X,Hello World-Foo,Hello")]
    [InlineData("{{ 'aaa' | replace('a', 'b') }},{{ 'aaa' | replace('a', 'b', 2) }}", "bbb,bba")]
    [InlineData("{{ [1, 2, 3] | join(', ') }},{{ ['a','b'] | join }},{{ [1,2] | first }},{{ [1,2] | last }}", "1, 2, 3,ab,1,2")]
    [InlineData("{{ undefined_var | default('d') }},{{ '' | default('d') }},{{ '' | default('d', true) }}", "d,,d")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}{{ v }}{% endfor %},{% for k, v in {'b': 1, 'A': 2} | dictsort %}{{ k }}{{ v }}{% endfor %}", "a1b2,A2b1")]
    [InlineData("{{ [{'n': 'x'}, {'n': 'y'}] | map(attribute='n') | join }},{{ ['a', 'b'] | map('upper') | list }}", "xy,['A', 'B']")]
    [InlineData("{{ [1, 0, 2] | select | list }},{{ [1, 2, 3, 4] | select('even') | list }},{{ [1, 2, 3] | reject('odd') | list }}", "[1, 2],[2, 4],[2]")]
    [InlineData("{{ [{'t': 'a', 'v': 1}, {'t': 'b', 'v': 2}] | selectattr('t', 'equalto', 'b') | map(attribute='v') | list }}", "[2]")]
    [InlineData("{{ [{'on': true, 'v': 1}, {'on': false, 'v': 2}] | rejectattr('on') | map(attribute='v') | list }}", "[2]")]
    [InlineData("{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}", "a\n  b\n\n  c|  a\n  b")]
    [InlineData("{{ '42' | int }},{{ '4.7' | int }},{{ 'x' | int(7) }},{{ 3.9 | int }},{{ '2.5' | float }},{{ -3 | abs }}", "42,4,7,3,2.5,3")]
    [InlineData("{{ 2.5 | round }},{{ 3.14159 | round(2) }},{{ 2.1 | round(0, 'ceil') }}", "2.0,3.14,3.0")]
    [InlineData("{{ ['a', 'A', 'b', 'a'] | unique | list }},{{ 'one two  three' | wordcount }}", "['a', 'b'],3")]
    [InlineData("{{ [3, 1, 2] | sort | list }},{{ [3, 1, 2] | sort(reverse=true) | list }},{{ [1, 2] | reverse | list }},{{ [1, 2, 3] | sum }}", "[1, 2, 3],[3, 2, 1],[2, 1],6")]
    [InlineData("{{ 1 | string }}{{ none | string }}{{ [1] | string }},{{ '<a>' | safe }},{{ '<a>' | e }}", "1None[1],<a>,&lt;a&gt;")]
    [InlineData("{{ '{\"a\": [1, 2.5, null]}' | from_json }}", "{'a': [1, 2.5, None]}")]
    public void Filters(string template, string expected) => Assert.Equal(expected, R(template));

    // HF's tojson is json.dumps(ensure_ascii=False): ", " and ": " separators, or "," plus newlines with indent.
    [Theory]
    [InlineData("{{ {'a': 1, 'b': [true, none, 'x\"y']} | tojson }}", "{\"a\": 1, \"b\": [true, null, \"x\\\"y\"]}")]
    [InlineData("{{ {'a': {'b': []}, 'c': {}} | tojson(indent=2) }}", "{\n  \"a\": {\n    \"b\": []\n  },\n  \"c\": {}\n}")]
    [InlineData("{{ 'é\n' | tojson }}|{{ 'é' | tojson(ensure_ascii=true) }}", "\"é\\n\"|\"\\u00e9\"")]
    [InlineData("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }},{{ 1.0 | tojson }},{{ [1, 2] | tojson(separators=(',', ':')) }}", "{\"a\": 2, \"b\": 1},1.0,[1,2]")]
    public void ToJson(string template, string expected) => Assert.Equal(expected, R(template));

    [Theory]
    [InlineData("{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}", "['a', 'b', '', 'c']|['a', 'b']|['a', 'b,c']|['a,b', 'c']")]
    [InlineData("{{ '\n\nx\n'.strip() }}|{{ '\n\nx\n'.lstrip('\n') }}|{{ 'xyyx'.rstrip('x') }}|{{ 'xyyx'.strip('x') }}", "x|x\n|xyy|yy")]
    [InlineData("{{ 'abc'.startswith('ab') }},{{ 'abc'.endswith(('x', 'c')) }},{{ 'abc'.find('c') }},{{ 'abcb'.count('b') }}", "True,True,2,2")]
    [InlineData("{{ 'a-b'.replace('-', '+') }},{{ 'Ab'.lower() }}{{ 'Ab'.upper() }},{{ 'hello world'.title() }},{{ '{} and {name}'.format(1, name='x') }}", "a+b,abAB,Hello World,1 and x")]
    [InlineData("{{ d.get('a') }},{{ d.get('z', 'dflt') }},{{ d.get('z') }},{{ d.keys() | list }},{{ d.values() | list }}", "1,dflt,None,['a', 'b'],[1, 2]")]
    public void String_and_dict_methods(string template, string expected) =>
        Assert.Equal(expected, R(template, ("d", new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 })));

    [Theory]
    [InlineData("{{ x is defined }},{{ y is defined }},{{ y is undefined }},{{ n is none }},{{ x is not none }}", "True,False,True,True,True")]
    [InlineData("{{ 's' is string }},{{ 1 is number }},{{ 1 is integer }},{{ 1.0 is float }},{{ false is false }},{{ 0 is false }}", "True,True,True,True,True,False")]
    [InlineData("{{ {} is mapping }},{{ [] is sequence }},{{ 's' is iterable }},{{ {} is sequence }},{{ 1 is iterable }},{{ y is iterable }}", "True,True,True,True,False,True")]
    [InlineData("{{ 3 is odd }},{{ 4 is even }},{{ 9 is divisibleby 3 }},{{ 9 is divisibleby(4) }},{{ 1 is eq 1 }},{{ 'x' is in 'xy' }}", "True,True,True,False,True,True")]
    public void Tests(string template, string expected) =>
        Assert.Equal(expected, R(template, ("x", 1), ("n", null)));

    [Fact]
    public void Undefined_is_falsy_empty_and_iterates_as_nothing()
    {
        Assert.Equal("[]|no|0|", R("[{{ missing }}]|{% if missing %}yes{% else %}no{% endif %}|{{ missing | length }}|{% for x in missing %}x{% endfor %}"));
        Assert.Equal("|", R("{{ d.missing }}|{{ d['missing'] }}", ("d", new Dictionary<string, object?>())));
        Assert.Equal("True", R("{{ missing == missing2 }}"));
    }

    [Fact]
    public void Attribute_of_undefined_is_an_error_naming_the_variable()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => R("ok\n{{ missing.attr }}"));
        Assert.Equal(2, ex.Line);
        Assert.Contains("'missing' is undefined", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void For_loop_variables_else_and_filters()
    {
        Assert.Equal("1/3 a F,2/3 b ,3/3 c L", R("{% for x in xs %}{{ loop.index }}/{{ loop.length }} {{ x }} {{ 'F' if loop.first }}{{ 'L' if loop.last }}{{ ',' if not loop.last }}{% endfor %}", ("xs", new[] { "a", "b", "c" })));
        Assert.Equal("0:2 1:1 2:0 ", R("{% for x in 'abc' %}{{ loop.index0 }}:{{ loop.revindex0 }} {% endfor %}"));
        Assert.Equal("empty", R("{% for x in [] %}x{% else %}empty{% endfor %}"));
        Assert.Equal("2,4,", R("{% for x in [1, 2, 3, 4] if x is even %}{{ x }},{% endfor %}"));
        Assert.Equal("a=1;b=2;", R("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"));
        Assert.Equal("-aa-b|a-bb-", R("{% for x in ['a', 'b'] %}{{ loop.previtem | default('') }}-{{ x }}{% endfor %}|{% for x in ['a', 'b'] %}{{ x }}-{{ loop.nextitem | default('') }}{% endfor %}"));
        Assert.Equal("12", R("{% for x in [1, 2, 3, 4] %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}"));
        Assert.Equal("13", R("{% for x in [1, 2, 3] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}"));
        Assert.Equal("ab;ba", R("{% for i in range(2) %}{{ loop.cycle('a', 'b') }}{% endfor %};{% for i in range(3, 1, -1) %}{{ loop.cycle('b', 'a') }}{% endfor %}"));
    }

    [Fact]
    public void Set_scoping_and_namespace()
    {
        Assert.Equal("outer", R("{% set x = 'outer' %}{% for i in [1] %}{% set x = 'inner' %}{% endfor %}{{ x }}"));
        Assert.Equal("inner", R("{% set x = 'outer' %}{% if true %}{% set x = 'inner' %}{% endif %}{{ x }}"));
        Assert.Equal("3", R("{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}"));
        Assert.Equal("1-2", R("{% set a, b = [1, 2] %}{{ a }}-{{ b }}"));
        Assert.Equal("[x]", R("{% set block %}x{% endset %}[{{ block }}]"));
    }

    [Fact]
    public void Macros_with_defaults_keywords_closures_and_caller()
    {
        const string template = "{% set ns = namespace(calls=0) %}{% macro greet(name, punct='!') %}{% set ns.calls = ns.calls + 1 %}Hi {{ name }}{{ punct }}{% endmacro %}"
            + "{{ greet('a') }} {{ greet('b', '?') }} {{ greet(punct='.', name='c') }} {{ ns.calls }}";
        Assert.Equal("Hi a! Hi b? Hi c. 3", R(template));
        Assert.Equal("<x>", R("{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}x{% endcall %}"));
        Assert.Equal("HI", R("{% filter upper %}hi{% endfilter %}"));
    }

    // Whitespace control: '-' strips, trim_blocks drops the newline after a block tag, lstrip_blocks drops indentation.
    [Theory]
    [InlineData("a  {{- 'b' -}}  c", "abc")]
    [InlineData("{% if true %}\nx\n{% endif %}\ny", "x\ny")]
    [InlineData("  {% if true %}\n  x\n  {% endif %}\n", "  x\n")]
    [InlineData("a {% if true %}b{% endif %}", "a b")]
    [InlineData("{{ 'a' }}\n{{ 'b' }}", "a\nb")]
    [InlineData("{# comment #}\nx{#- c -#}  y", "xy")]
    [InlineData("  {%+ if true %}x{% endif +%}\ny", "  x\ny")]
    [InlineData("{% raw %}{{ not evaluated }}{% endraw %}", "{{ not evaluated }}")]
    public void Whitespace_control(string template, string expected) => Assert.Equal(expected, R(template));

    [Theory]
    [InlineData("line1\n{% if x %}\nbody", 2, "endif")]
    [InlineData("{{ 1 +\n  }}", 2, "unexpected")]
    [InlineData("a\nb\n{% frobnicate %}", 3, "unknown tag 'frobnicate'")]
    [InlineData("a\n\n  {{ 'x' | nosuchfilter }}", 3, "unknown filter 'nosuchfilter'")]
    [InlineData("x\n{{ 'a' + 1 }}", 2, "unsupported operand")]
    [InlineData("{{ 'open", 1, "unterminated string")]
    public void Errors_name_the_line(string template, int line, string fragment)
    {
        var ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(template).Render([], false, "", ""));
        Assert.Equal(line, ex.Line);
        Assert.True(ex.Column >= 1);
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith($"chat template line {line}, column {ex.Column}:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Raise_exception_reports_the_template_message_and_line()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => R("ok\n{% if true %}\n  {{ raise_exception('bad role') }}\n{% endif %}"));
        Assert.True(ex.RaisedByTemplate);
        Assert.Equal("bad role", ex.Reason);
        Assert.Equal(3, ex.Line);
    }
}
