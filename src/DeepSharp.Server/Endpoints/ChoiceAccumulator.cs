using System.Text;
using DeepSharp.Server.Scheduling;

namespace DeepSharp.Server.Endpoints;

/// <summary>Collects a job's events into whole choices for the non-streaming responses.</summary>
internal sealed class ChoiceAccumulator
{
    private readonly Choice[] _choices;

    public ChoiceAccumulator(int choices)
    {
        _choices = new Choice[choices];
        for (int i = 0; i < choices; i++) _choices[i] = new Choice();
    }

    public IReadOnlyList<Choice> Choices => _choices;
    public JobUsage? Usage { get; private set; }

    public static async Task<ChoiceAccumulator> CollectAsync(GenerationJob job, CancellationToken cancellation)
    {
        var acc = new ChoiceAccumulator(job.Request.Choices);
        await foreach (var e in job.Events.ReadAllAsync(cancellation)) acc.Add(e);
        return acc;
    }

    public void Add(JobEvent e)
    {
        switch (e)
        {
            case TokenEvent t:
                var c = _choices[t.Choice];
                c.Reasoning.Append(t.Reasoning);
                c.Content.Append(t.Content);
                if (t.Logprob is { } lp) c.Logprobs.Add(lp);
                break;
            case ChoiceEndEvent end:
                _choices[end.Choice].FinishReason = end.FinishReason;
                break;
            case JobEndEvent done:
                Usage = done.Usage;
                break;
        }
    }

    internal sealed class Choice
    {
        public StringBuilder Reasoning { get; } = new();
        public StringBuilder Content { get; } = new();
        public List<TokenLogprob> Logprobs { get; } = [];
        public string? FinishReason { get; set; }
    }
}
