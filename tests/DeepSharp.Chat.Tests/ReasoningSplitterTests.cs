namespace DeepSharp.Chat.Tests;

/// <summary>
/// ReasoningSplitter against the behaviour of llama.cpp's --reasoning-format deepseek (spec F.2): reasoning up to
/// &lt;/think&gt; trimmed, forced-open prompts, no-reasoning outputs all content; and streaming equals one-shot for
/// every way of cutting the text into pushes.
/// </summary>
public class ReasoningSplitterTests
{
    public static TheoryData<string, bool, string, string> Cases => new()
    {
        // full output, startsInReasoning, expected reasoning, expected content
        { "<think>\nr\n</think>\n\nAnswer", false, "r", "Answer" },
        { "r\n</think>\n\nAnswer", true, "r", "Answer" },
        { "Answer only", false, "", "Answer only" },
        { "  Answer", false, "", "  Answer" },
        { "Answer\n\n", false, "", "Answer\n\n" },
        { "\n<think>r</think>A", false, "r", "A" },
        { "r unterminated", true, "r unterminated", "" },
        { "<think>\nr unterminated\n", false, "r unterminated", "" },
        { "<think>\nr\n</think>", false, "r", "" },
        { "</think>Answer", true, "", "Answer" },
        { "<think>\n\n</think>\n\nAnswer", false, "", "Answer" },
        { "<think>\nr\n</think>\n\nA </think> <think> B", false, "r", "A </think> <think> B" },
        { "<thinking>x", false, "", "<thinking>x" },
        { "<thi", false, "", "<thi" },
        { "r </thi", true, "r </thi", "" },
        { "<think>\nr\n</think>\n\nAnswer", true, "r", "Answer" },
        { "a\n\nb\n</think>c", true, "a\n\nb", "c" },
        { "x < y and </ b\n</think>ok", true, "x < y and </ b", "ok" },
        { "a<</think>b", true, "a<", "b" },
        { "a </think\n</think> b", true, "a </think", "b" },
        { "", false, "", "" },
        { "", true, "", "" },
        { "\n\n", true, "", "" },
        { "\n\n", false, "", "\n\n" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Split_routes_reasoning_and_content(string full, bool forced, string reasoning, string content)
    {
        Assert.Equal((reasoning, content), ReasoningSplitter.Split(full, forced));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_matches_for_every_single_split_point(string full, bool forced, string reasoning, string content)
    {
        for (int i = 0; i <= full.Length; i++)
        {
            Assert.Equal((reasoning, content), Stream(forced, full[..i], full[i..]));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_matches_for_every_pair_of_split_points(string full, bool forced, string reasoning, string content)
    {
        for (int i = 0; i <= full.Length; i++)
        {
            for (int j = i; j <= full.Length; j++)
            {
                Assert.Equal((reasoning, content), Stream(forced, full[..i], full[i..j], full[j..]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Streaming_one_character_at_a_time(string full, bool forced, string reasoning, string content)
    {
        Assert.Equal((reasoning, content), Stream(forced, full.Select(c => c.ToString()).ToArray()));
    }

    // No delta may carry part of a tag: every prefix of the output, pushed and not flushed, routes only text
    // that is final, so the emitted reasoning is always a prefix of the final reasoning and never ends in "</th".
    [Theory]
    [MemberData(nameof(Cases))]
    public void Emitted_text_is_always_a_prefix_of_the_final_channels(string full, bool forced, string reasoning, string content)
    {
        for (int i = 0; i <= full.Length; i++)
        {
            var splitter = new ReasoningSplitter(forced);
            var delta = splitter.Push(full[..i]);
            Assert.StartsWith(delta.Reasoning, reasoning, StringComparison.Ordinal);
            Assert.StartsWith(delta.Content, content, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Holds_a_partial_closing_tag_until_it_is_decided()
    {
        var s = new ReasoningSplitter(startsInReasoning: true);
        Assert.Equal(new ReasoningDelta("step", ""), s.Push("step\n</th"));
        Assert.Equal(ReasoningDelta.Empty, s.Push("ink"));
        Assert.Equal(new ReasoningDelta("", "42"), s.Push(">\n\n42"));
        Assert.True(s.InContent);
        Assert.Equal(ReasoningDelta.Empty, s.Flush());
    }

    [Fact]
    public void A_false_alarm_tag_prefix_is_released_as_reasoning()
    {
        var s = new ReasoningSplitter(startsInReasoning: true);
        Assert.Equal(new ReasoningDelta("a", ""), s.Push("a</"));
        Assert.Equal(new ReasoningDelta("</b", ""), s.Push("b"));
    }

    [Fact]
    public void Opening_tag_split_across_pushes_is_never_emitted()
    {
        var s = new ReasoningSplitter(startsInReasoning: false);
        Assert.Equal(ReasoningDelta.Empty, s.Push("\n<th"));
        Assert.Equal(ReasoningDelta.Empty, s.Push("ink>\n"));
        Assert.Equal(new ReasoningDelta("Let me see", ""), s.Push("Let me see"));
        Assert.False(s.InContent);
    }

    [Fact]
    public void Not_a_tag_after_all_becomes_content_verbatim()
    {
        var s = new ReasoningSplitter(startsInReasoning: false);
        Assert.Equal(ReasoningDelta.Empty, s.Push(" <"));
        Assert.Equal(new ReasoningDelta("", " <b>bold"), s.Push("b>bold"));
        Assert.True(s.InContent);
    }

    [Fact]
    public void Whitespace_inside_reasoning_is_held_until_more_text_arrives()
    {
        var s = new ReasoningSplitter(startsInReasoning: true);
        Assert.Equal(new ReasoningDelta("one", ""), s.Push("one\n\n"));
        Assert.Equal(new ReasoningDelta("\n\ntwo", ""), s.Push("two"));
        Assert.Equal(ReasoningDelta.Empty, s.Push("\n"));
        Assert.Equal(ReasoningDelta.Empty, s.Flush()); // unterminated: trailing whitespace dropped, still reasoning
    }

    [Fact]
    public void Unterminated_reasoning_stays_reasoning_at_flush()
    {
        var s = new ReasoningSplitter(startsInReasoning: false);
        Assert.Equal(new ReasoningDelta("cut off", ""), s.Push("<think>cut off</thi"));
        Assert.Equal(new ReasoningDelta("</thi", ""), s.Flush());
        Assert.False(s.InContent);
    }

    [Fact]
    public void Partial_tag_suffix_length()
    {
        Assert.Equal(0, ReasoningSplitter.PartialTagSuffixLength("abc", "</think>"));
        Assert.Equal(1, ReasoningSplitter.PartialTagSuffixLength("abc<", "</think>"));
        Assert.Equal(7, ReasoningSplitter.PartialTagSuffixLength("x</think", "</think>"));
        Assert.Equal(0, ReasoningSplitter.PartialTagSuffixLength("x</think>", "</think>"));
        Assert.Equal(2, ReasoningSplitter.PartialTagSuffixLength("<</", "</think>"));
    }

    static (string Reasoning, string Content) Stream(bool forced, params string[] pieces)
    {
        var splitter = new ReasoningSplitter(forced);
        string reasoning = "", content = "";
        foreach (string piece in pieces)
        {
            var d = splitter.Push(piece);
            reasoning += d.Reasoning;
            content += d.Content;
        }
        var last = splitter.Flush();
        return (reasoning + last.Reasoning, content + last.Content);
    }
}
