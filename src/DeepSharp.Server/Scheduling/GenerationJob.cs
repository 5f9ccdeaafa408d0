using System.Threading.Channels;

namespace DeepSharp.Server.Scheduling;

/// <summary>
/// A request handed to the scheduler: what to generate, the client's cancellation, and the channel its events flow
/// back on. The scheduler thread writes; the endpoint reads.
/// </summary>
internal sealed class GenerationJob
{
    private readonly Channel<JobEvent> _events = Channel.CreateUnbounded<JobEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public GenerationJob(GenerationRequest request, CancellationToken cancellation)
    {
        Request = request;
        Cancellation = cancellation;
    }

    public GenerationRequest Request { get; }
    public CancellationToken Cancellation { get; }
    public ChannelReader<JobEvent> Events => _events.Reader;

    internal void Emit(JobEvent e) => _events.Writer.TryWrite(e);

    internal void Complete(JobUsage usage)
    {
        _events.Writer.TryWrite(new JobEndEvent(usage));
        _events.Writer.TryComplete();
    }

    internal void Fail(Exception error) => _events.Writer.TryComplete(error);
}
