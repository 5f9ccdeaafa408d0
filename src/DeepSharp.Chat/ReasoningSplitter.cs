using System.Text;

namespace DeepSharp.Chat;

/// <summary>Text routed by one <see cref="ReasoningSplitter"/> step: chain of thought, and answer.</summary>
public readonly record struct ReasoningDelta(string Reasoning, string Content)
{
    public static readonly ReasoningDelta Empty = new("", "");

    public bool IsEmpty => Reasoning.Length == 0 && Content.Length == 0;
}

/// <summary>
/// Streaming router of generated text into a reasoning channel and a content channel, like llama.cpp's
/// <c>--reasoning-format deepseek</c> (spec section F.2):
/// <list type="bullet">
/// <item>When the prompt already ended in <c>&lt;think&gt;\n</c> (<c>startsInReasoning</c>, llama.cpp's
/// thinking_forced_open), everything up to <c>&lt;/think&gt;</c> is reasoning; a stray <c>&lt;think&gt;</c> right at
/// the start is swallowed.</item>
/// <item>Otherwise the output is reasoning only if it begins (after optional whitespace) with <c>&lt;think&gt;</c>;
/// if not, all of it is content, verbatim.</item>
/// <item>Reasoning is trimmed of surrounding whitespace; content after <c>&lt;/think&gt;</c> loses its leading
/// whitespace. Text after the first <c>&lt;/think&gt;</c> is content even if it contains tags.</item>
/// <item>Unterminated reasoning stays reasoning at <see cref="Flush"/>.</item>
/// </list>
/// A partial tag at the end of a push is held back until the next push decides it, so no half tag is ever emitted;
/// likewise trailing whitespace of the reasoning is held until it is known not to be the end of the thought.
/// </summary>
public sealed class ReasoningSplitter
{
    const string OpenTag = "<think>";
    const string CloseTag = "</think>";

    enum State { Start, Reasoning, Content }

    readonly bool _startsInReasoning;
    State _state = State.Start;
    string _pending = "";          // received but not yet routed
    string _heldWhitespace = "";   // reasoning whitespace that may turn out to be trailing
    bool _skipLeadingWhitespace;   // just after <think> or </think>

    public ReasoningSplitter(bool startsInReasoning) => _startsInReasoning = startsInReasoning;

    /// <summary>True once the reasoning has been closed by <c>&lt;/think&gt;</c> or ruled out.</summary>
    public bool InContent => _state == State.Content;

    public ReasoningDelta Push(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _pending += text;
        return Drain(final: false);
    }

    /// <summary>End of generation: releases everything held back.</summary>
    public ReasoningDelta Flush() => Drain(final: true);

    /// <summary>Splits a complete output in one go; same result as pushing it in pieces and flushing.</summary>
    public static (string Reasoning, string Content) Split(string full, bool startsInReasoning)
    {
        var splitter = new ReasoningSplitter(startsInReasoning);
        var a = splitter.Push(full);
        var b = splitter.Flush();
        return (a.Reasoning + b.Reasoning, a.Content + b.Content);
    }

    ReasoningDelta Drain(bool final)
    {
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        while (true)
        {
            bool more = _state switch
            {
                State.Start => StepStart(final),
                State.Reasoning => StepReasoning(final, reasoning),
                _ => StepContent(content),
            };
            if (!more) break;
        }
        return reasoning.Length == 0 && content.Length == 0 ? ReasoningDelta.Empty : new ReasoningDelta(reasoning.ToString(), content.ToString());
    }

    // Decide whether the output opens with <think>. Returns true when the state changed and routing continues.
    bool StepStart(bool final)
    {
        int i = 0;
        while (i < _pending.Length && char.IsWhiteSpace(_pending[i])) i++;
        var rest = _pending.AsSpan(i);
        if (rest.StartsWith(OpenTag, StringComparison.Ordinal))
        {
            _pending = _pending[(i + OpenTag.Length)..];
            EnterReasoning();
            return true;
        }
        if (!final && OpenTag.AsSpan().StartsWith(rest, StringComparison.Ordinal)) return false; // maybe a tag: wait
        if (_startsInReasoning) EnterReasoning();
        else _state = State.Content;
        return true;
    }

    void EnterReasoning()
    {
        _state = State.Reasoning;
        _skipLeadingWhitespace = true;
    }

    bool StepReasoning(bool final, StringBuilder reasoning)
    {
        if (_skipLeadingWhitespace)
        {
            _pending = _pending.TrimStart();
            if (_pending.Length == 0) return false;
            _skipLeadingWhitespace = false;
        }
        int close = _pending.IndexOf(CloseTag, StringComparison.Ordinal);
        if (close >= 0)
        {
            AppendReasoning(reasoning, _pending[..close], isEnd: true);
            _pending = _pending[(close + CloseTag.Length)..];
            _state = State.Content;
            _skipLeadingWhitespace = true;
            return true;
        }
        int hold = final ? 0 : PartialTagSuffixLength(_pending, CloseTag);
        AppendReasoning(reasoning, _pending[..^hold], isEnd: final);
        _pending = _pending[^hold..];
        return false;
    }

    void AppendReasoning(StringBuilder reasoning, string text, bool isEnd)
    {
        string combined = _heldWhitespace + text;
        if (isEnd)
        {
            reasoning.Append(combined.TrimEnd());
            _heldWhitespace = "";
            return;
        }
        string body = combined.TrimEnd();
        reasoning.Append(body);
        _heldWhitespace = combined[body.Length..];
    }

    bool StepContent(StringBuilder content)
    {
        if (_skipLeadingWhitespace)
        {
            _pending = _pending.TrimStart();
            if (_pending.Length == 0) return false;
            _skipLeadingWhitespace = false;
        }
        content.Append(_pending);
        _pending = "";
        return false;
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of <paramref name="tag"/>.</summary>
    internal static int PartialTagSuffixLength(string text, string tag)
    {
        for (int n = Math.Min(tag.Length - 1, text.Length); n > 0; n--)
        {
            if (text.AsSpan(text.Length - n).SequenceEqual(tag.AsSpan(0, n))) return n;
        }
        return 0;
    }
}
