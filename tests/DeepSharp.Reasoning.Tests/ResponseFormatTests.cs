using DeepSharp.Reasoning.Tasks;

namespace DeepSharp.Reasoning.Tests;

public class ResponseFormatTests
{
    [Fact]
    public void Compose_writes_the_R1_layout()
    {
        Assert.Equal("<think>\n1 + 1 = 2\n</think>\n\n2", ResponseFormat.Compose(new Solution("1 + 1 = 2", "2")));
    }

    [Fact]
    public void Parse_inverts_compose_and_accepts_a_prefilled_think_tag()
    {
        Assert.Equal(new ParsedResponse("r", "a", true), ResponseFormat.Parse("<think>\nr\n</think>\n\na"));
        Assert.Equal(new ParsedResponse("r", "a", true), ResponseFormat.Parse("r\n</think>\n\na"));
    }

    [Fact]
    public void Unclosed_reasoning_and_missing_answers_are_flagged()
    {
        Assert.Equal(new ParsedResponse("still thinking", null, false), ResponseFormat.Parse("<think>\nstill thinking"));
        Assert.Equal(new ParsedResponse("r", null, true), ResponseFormat.Parse("<think>r</think>\n \n"));
        Assert.Equal(new ParsedResponse(null, null, false), ResponseFormat.Parse(""));
    }

    [Theory]
    [InlineData("<think>\nr\n</think>\n\n405", 1, 1)]
    [InlineData("<think>\nr\n</think>\n\n404", 1, 0)]
    [InlineData("<think>\nr\n</think>\n\n", 0, 0)]
    [InlineData("<think>\nr 405", 0, 0)]
    [InlineData("405", 0, 0)]
    public void Rewards_follow_the_format_and_the_checker(string response, double format, double accuracy)
    {
        var task = new ArithmeticTask();
        var p = new Problem("t", "What is 347 + 58?", "405");
        Assert.Equal(format, Rewards.Format(response));
        Assert.Equal(accuracy, Rewards.Accuracy(task, p, response));
    }

    [Fact]
    public void The_registry_knows_both_tasks()
    {
        Assert.Equal(["arithmetic", "countdown"], TaskRegistry.Names);
        Assert.Equal("countdown", TaskRegistry.Get("Countdown").Name);
        Assert.Throws<ArgumentException>(() => TaskRegistry.Get("chess"));
    }
}
