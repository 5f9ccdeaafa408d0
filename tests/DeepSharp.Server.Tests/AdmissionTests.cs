using DeepSharp.Sampling;
using DeepSharp.Server.Backend;
using DeepSharp.Server.Scheduling;

namespace DeepSharp.Server.Tests;

/// <summary>
/// The admission window of an idle scheduler: requests arriving within it have their prompts read in the same batched
/// pass (instead of the first alone and the rest a round later), and a full set of slots does not wait for it.
/// </summary>
public sealed class AdmissionTests
{
    [Fact]
    public async Task Requests_arriving_within_the_window_share_the_first_pass()
    {
        var backend = new RecordingBackend(new ScriptedBackend(["a", "b"]));
        using var scheduler = new SlotScheduler(backend, slots: 2, queueCapacity: 2, new ServerMetrics(), TimeSpan.FromSeconds(2));
        var first = Job([70, 71, 72]);
        Assert.True(scheduler.TryEnqueue(first));
        await Task.Delay(100);
        var second = Job([80, 81]);
        Assert.True(scheduler.TryEnqueue(second));
        await Task.WhenAll(Drain(first), Drain(second));
        Assert.Equal(2, backend.SlotsPerPass[0]);
    }

    [Fact]
    public async Task Without_a_window_the_first_request_starts_alone()
    {
        // The first pass is held until the second job is queued: with a timed pass instead, a test host busy enough to
        // delay this thread past the first job's whole generation made the second start alone too (seen on CI).
        var backend = new RecordingBackend(new ScriptedBackend(["a", "b"])) { HoldFirstPass = true };
        using var scheduler = new SlotScheduler(backend, slots: 2, queueCapacity: 2, new ServerMetrics(), TimeSpan.Zero);
        var first = Job([70, 71, 72]);
        Assert.True(scheduler.TryEnqueue(first));
        await backend.FirstPassStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var second = Job([80, 81]);
        Assert.True(scheduler.TryEnqueue(second));
        backend.ReleaseFirstPass.Set();
        await Task.WhenAll(Drain(first), Drain(second)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, backend.SlotsPerPass[0]);
        Assert.Contains(2, backend.SlotsPerPass);   // the second joined the first's generation later
    }

    [Fact]
    public async Task Full_slots_start_without_waiting_out_the_window()
    {
        var backend = new RecordingBackend(new ScriptedBackend(["a", "b"]));
        using var scheduler = new SlotScheduler(backend, slots: 2, queueCapacity: 2, new ServerMetrics(), TimeSpan.FromMinutes(1));
        var first = Job([70, 71, 72]);
        var second = Job([80, 81]);
        Assert.True(scheduler.TryEnqueue(first));
        Assert.True(scheduler.TryEnqueue(second));
        // Liveness, not speed: waiting out the window would hold both jobs for a minute.
        await Task.WhenAll(Drain(first), Drain(second)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, backend.SlotsPerPass[0]);
    }

    private static GenerationJob Job(int[] prompt) => new(
        new GenerationRequest { Prompt = prompt, MaxTokens = 2, Sampling = SamplingOptions.Greedy }, CancellationToken.None);

    private static async Task Drain(GenerationJob job)
    {
        await foreach (var _ in job.Events.ReadAllAsync()) { }
    }

    /// <summary>The scripted backend, recording how many slots each batched pass served.</summary>
    private sealed class RecordingBackend(ScriptedBackend inner) : DelegatingBackend(inner)
    {
        private readonly List<int> _passes = [];

        public List<int> SlotsPerPass
        {
            get { lock (_passes) return [.. _passes]; }
        }

        public TaskCompletionSource FirstPassStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Makes the first pass wait for <see cref="ReleaseFirstPass"/> (at most 30 s).</summary>
        public bool HoldFirstPass { get; init; }

        public ManualResetEventSlim ReleaseFirstPass { get; } = new(false);

        public override void AppendEach(IReadOnlyList<ISequenceSlot> slots, ReadOnlySpan<int> tokens, ReadOnlySpan<int> counts)
        {
            bool first;
            lock (_passes)
            {
                _passes.Add(slots.Count);
                first = _passes.Count == 1;
            }
            FirstPassStarted.TrySetResult();
            if (first && HoldFirstPass) ReleaseFirstPass.Wait(TimeSpan.FromSeconds(30));
            base.AppendEach(slots, tokens, counts);
        }
    }
}
