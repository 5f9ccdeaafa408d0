using DeepSharp.Chat;

namespace DeepSharp.Server.Scheduling;

/// <summary>
/// Routes raw generated text to <c>reasoning_content</c> and <c>content</c> per <see cref="ReasoningFormat"/>
/// (spec F.2). A <see cref="ReasoningSplitter"/> runs in every format, so the reasoning tokens are counted even when
/// the client gets everything as content. With <c>none</c> and <c>deepseek-legacy</c> the content is the raw text;
/// when the prompt already opened the thought, "&lt;think&gt;\n" is put back in front so the tags stay balanced.
/// </summary>
internal sealed class OutputRouter(ReasoningFormat format, bool startsInReasoning)
{
    private readonly ReasoningSplitter _splitter = new(startsInReasoning);
    private bool _openTagPending = startsInReasoning && format != ReasoningFormat.DeepSeek;

    /// <summary>True once the reasoning is over (or there was none): tokens from here on are answer tokens.</summary>
    public bool InContent => _splitter.InContent;

    public (string Reasoning, string Content) Push(string raw) => Route(_splitter.Push(raw), raw);

    public (string Reasoning, string Content) Flush() => Route(_splitter.Flush(), "");

    private (string Reasoning, string Content) Route(ReasoningDelta split, string raw) => format switch
    {
        ReasoningFormat.None => ("", WithOpenTag(raw)),
        ReasoningFormat.DeepSeekLegacy => (split.Reasoning, WithOpenTag(raw)),
        _ => (split.Reasoning, split.Content),
    };

    private string WithOpenTag(string raw)
    {
        if (!_openTagPending || raw.Length == 0) return raw;
        _openTagPending = false;
        return "<think>\n" + raw;
    }
}
