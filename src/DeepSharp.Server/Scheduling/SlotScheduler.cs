using System.Diagnostics;
using System.Runtime.InteropServices;
using DeepSharp.Server.Backend;

namespace DeepSharp.Server.Scheduling;

/// <summary>
/// Runs generation jobs on <c>--parallel</c> slots (one KV cache each) from a single scheduler thread that steps every
/// busy slot once per round: a prompt chunk for a slot still reading its prompt, one token for a generating one, and
/// all of them go through the model together in one batched forward pass (one read of the weights serves every
/// stream: continuous batching; a new prompt rides along with the running streams instead of stalling them). New
/// jobs join between rounds; jobs beyond the slots wait in a bounded FIFO queue, and <see cref="TryEnqueue"/> refuses
/// beyond that. Each slot keeps the tokens of its cache, and a job goes to the free slot sharing the longest prefix
/// with its prompt, which is then reused rather than recomputed (system prompt, earlier turns).
/// <para>
/// Why one thread: the model serialises forward passes anyway, and a round over all slots is exactly the place where
/// the sampled tokens and prompt chunks of every slot can be gathered for <see cref="IModelBackend.AppendEach"/>.
/// </para>
/// </summary>
internal sealed class SlotScheduler : IDisposable
{
    /// <summary>Prompt tokens processed per round (shared by the slots reading prompts), so a long prompt does not stall the other streams.</summary>
    internal const int PromptChunk = 128;

    private readonly IModelBackend _backend;
    private readonly TimeSpan _admissionWindow;
    private readonly Slot[] _slots;
    private readonly LinkedList<GenerationJob> _waiting = new();
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly ServerMetrics _metrics;
    private readonly Thread _thread;
    private readonly List<Slot> _stepSlots = [];                 // this round's slots with tokens to append
    private readonly List<ISequenceSlot> _stepEngines = [];
    private readonly List<int> _stepTokens = [];                 // their tokens, slot after slot
    private readonly List<int> _stepCounts = [];
    private int _promptBudget;                                   // prompt tokens this round may still take
    private volatile bool _stopping;
    private int _busy;

    public SlotScheduler(IModelBackend backend, int slots, int queueCapacity, ServerMetrics metrics, TimeSpan admissionWindow = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(admissionWindow, TimeSpan.Zero);
        _backend = backend;
        _admissionWindow = admissionWindow;
        _metrics = metrics;
        QueueCapacity = queueCapacity;
        _slots = new Slot[slots];
        for (int i = 0; i < slots; i++) _slots[i] = new Slot(backend.CreateSlot());
        _thread = new Thread(Loop) { IsBackground = true, Name = "deepsharp-scheduler" };
        _thread.Start();
    }

    public int SlotCount => _slots.Length;
    public int QueueCapacity { get; }
    public int BusySlots => Volatile.Read(ref _busy);

    public int QueueLength
    {
        get { lock (_gate) return _waiting.Count; }
    }

    /// <summary>Queues a job; false when the queue is full (the caller answers 503).</summary>
    public bool TryEnqueue(GenerationJob job)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (BusySlots + _waiting.Count >= _slots.Length + QueueCapacity) return false;
            _waiting.AddLast(job);
        }
        job.Cancellation.UnsafeRegister(static s => ((ManualResetEventSlim)s!).Set(), _wake);
        _wake.Set();
        return true;
    }

    private void Loop()
    {
        while (!_stopping)
        {
            AwaitCompany();
            Admit();
            bool any = false;
            _promptBudget = PromptChunk;
            foreach (var slot in _slots)
            {
                if (slot.Job is null) continue;
                any = true;
                Step(slot);
            }
            if (_stepSlots.Count > 0) StepTogether();
            if (!any)
            {
                _wake.Wait(TimeSpan.FromMilliseconds(250));
                _wake.Reset();
            }
        }
    }

    /// <summary>
    /// On an idle server with jobs waiting, waits up to the admission window (<see cref="ServerOptions.AdmissionWindow"/>)
    /// for more to arrive, until the slots are full. Requests sent together reach the scheduler milliseconds apart;
    /// without the wait the first has its prompt read alone and the others a round later, while the first is already
    /// generating. With it they share the first round. A running stream never waits for it.
    /// </summary>
    private void AwaitCompany()
    {
        if (_admissionWindow <= TimeSpan.Zero || BusySlots > 0) return;
        long start = Stopwatch.GetTimestamp();
        while (!_stopping)
        {
            int waiting = QueueLength;
            var left = _admissionWindow - Stopwatch.GetElapsedTime(start);
            if (waiting == 0 || waiting >= _slots.Length || left <= TimeSpan.Zero) return;
            _wake.Wait(left);
            _wake.Reset();
        }
    }

    /// <summary>Moves waiting jobs into free slots (longest common prefix first); drops jobs cancelled while queued.</summary>
    private void Admit()
    {
        lock (_gate)
        {
            var node = _waiting.First;
            while (node is not null)
            {
                var next = node.Next;
                var job = node.Value;
                if (job.Cancellation.IsCancellationRequested)
                {
                    _waiting.Remove(node);
                    job.Fail(new OperationCanceledException(job.Cancellation));
                }
                else if (BestFreeSlot(job.Request.Prompt) is Slot slot)
                {
                    _waiting.Remove(node);
                    slot.Assign(job);
                    Interlocked.Increment(ref _busy);
                }
                else break;
                node = next;
            }
        }
    }

    private Slot? BestFreeSlot(int[] prompt)
    {
        Slot? best = null;
        int bestShared = -1;
        foreach (var slot in _slots)
        {
            if (slot.Job is not null) continue;
            int shared = CommonPrefix(slot.Engine.Tokens, prompt);
            if (shared > bestShared) (best, bestShared) = (slot, shared);
        }
        return best;
    }

    internal static int CommonPrefix(IReadOnlyList<int> held, int[] prompt)
    {
        int n = Math.Min(held.Count, prompt.Length), i = 0;
        while (i < n && held[i] == prompt[i]) i++;
        return i;
    }

    private void Step(Slot slot)
    {
        var job = slot.Job!;
        try
        {
            if (job.Cancellation.IsCancellationRequested)
            {
                Release(slot, () => job.Fail(new OperationCanceledException(job.Cancellation)));
            }
            else if (slot.Run is null) StepPrompt(slot, job);
            else StepToken(slot, job);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The KV state is unknown after a failed forward pass: forget it so the next job starts clean.
            slot.Engine.Rewind(0);
            Release(slot, () => job.Fail(e));
        }
    }

    /// <summary>
    /// Starts a choice (rewinds to the shared prefix), then queues the next chunk of the prompt for this round's step,
    /// as much as the round's prompt budget allows (none left: the slot waits a round).
    /// </summary>
    private void StepPrompt(Slot slot, GenerationJob job)
    {
        int[] prompt = job.Request.Prompt;
        if (slot.PromptCursor < 0)
        {
            // Keep at least the last prompt token to recompute: its logits predict the first generated token.
            int shared = Math.Min(CommonPrefix(slot.Engine.Tokens, prompt), prompt.Length - 1);
            slot.Engine.Rewind(shared);
            slot.PromptCursor = shared;
            if (slot.Choice == 0) slot.CachedTokens = shared;
        }
        int count = Math.Min(_promptBudget, prompt.Length - slot.PromptCursor);
        if (count == 0) return;
        _promptBudget -= count;
        slot.PromptStep = count;
        Queue(slot, prompt.AsSpan(slot.PromptCursor, count));
    }

    /// <summary>Samples the slot's next token; a token to append joins the round's batched step.</summary>
    private void StepToken(Slot slot, GenerationJob job)
    {
        var run = slot.Run!;
        var clock = Stopwatch.StartNew();
        var outcome = run.Step(slot.Engine.Logits, slot.Engine.Remaining);
        double seconds = clock.Elapsed.TotalSeconds;
        slot.GenerationSeconds += seconds;
        if (outcome.FinishReason is null)
        {
            slot.SampleSeconds = seconds;
            int token = outcome.Token;
            Queue(slot, new ReadOnlySpan<int>(in token));
        }
        else _metrics.TokenGenerated(seconds);
        if (outcome.Event is { } e && (e.Reasoning.Length > 0 || e.Content.Length > 0 || e.Logprob is not null)) job.Emit(e);
        if (outcome.FinishReason is not string reason) return;

        job.Emit(new ChoiceEndEvent(slot.Choice, reason, run.Generated, run.ReasoningTokens));
        slot.CompletionTokens += run.Generated;
        slot.ReasoningTokens += run.ReasoningTokens;
        slot.Run = null;
        slot.PromptCursor = -1;
        if (++slot.Choice < job.Request.Choices) return;
        var usage = new JobUsage(job.Request.Prompt.Length, slot.CachedTokens, slot.CompletionTokens, slot.ReasoningTokens,
            slot.PromptSeconds, slot.GenerationSeconds);
        Release(slot, () => job.Complete(usage));
    }

    private void Queue(Slot slot, ReadOnlySpan<int> tokens)
    {
        _stepSlots.Add(slot);
        _stepEngines.Add(slot.Engine);
        foreach (int t in tokens) _stepTokens.Add(t);
        _stepCounts.Add(tokens.Length);
    }

    /// <summary>
    /// Appends every queued token and prompt chunk in one forward pass. Each stream waited the whole step, so each
    /// slot's own timing counts all of it; the server-wide metrics get an equal share per token, so their tokens/s
    /// are aggregate rates.
    /// </summary>
    private void StepTogether()
    {
        var clock = Stopwatch.StartNew();
        try
        {
            _backend.AppendEach(_stepEngines, CollectionsMarshal.AsSpan(_stepTokens), CollectionsMarshal.AsSpan(_stepCounts));
            double seconds = clock.Elapsed.TotalSeconds, perToken = seconds / _stepTokens.Count;
            foreach (var slot in _stepSlots)
            {
                if (slot.PromptStep > 0) PromptChunkDone(slot, seconds, perToken);
                else
                {
                    slot.GenerationSeconds += seconds;
                    _metrics.TokenGenerated(slot.SampleSeconds + perToken);
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            foreach (var slot in _stepSlots)
            {
                if (slot.Job is not { } job) continue;
                slot.Engine.Rewind(0);
                Release(slot, () => job.Fail(e));
            }
        }
        finally
        {
            _stepSlots.Clear();
            _stepEngines.Clear();
            _stepTokens.Clear();
            _stepCounts.Clear();
        }
    }

    private void PromptChunkDone(Slot slot, double seconds, double perToken)
    {
        var request = slot.Job!.Request;
        int count = slot.PromptStep;
        slot.PromptStep = 0;
        slot.PromptCursor += count;
        slot.PromptSeconds += seconds;
        _metrics.PromptProcessed(count, perToken * count);
        if (slot.PromptCursor == request.Prompt.Length) slot.Run = new SequenceRun(_backend, request, slot.Choice);
    }

    private void Release(Slot slot, Action notify)
    {
        if (slot.Job!.Cancellation.IsCancellationRequested) _metrics.Cancelled();
        slot.Clear();
        Interlocked.Decrement(ref _busy);
        notify();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
        }
        _wake.Set();
        _thread.Join();
        var gone = new ObjectDisposedException(nameof(SlotScheduler), "the server is shutting down");
        foreach (var job in _waiting) job.Fail(gone);
        foreach (var slot in _slots)
        {
            slot.Job?.Fail(gone);
            slot.Engine.Dispose();
        }
        _wake.Dispose();
    }

    /// <summary>One KV cache and the job it is working on.</summary>
    private sealed class Slot(ISequenceSlot engine)
    {
        public ISequenceSlot Engine { get; } = engine;
        public GenerationJob? Job { get; private set; }
        public SequenceRun? Run { get; set; }
        public int Choice { get; set; }
        public int PromptCursor { get; set; } = -1;
        public int CachedTokens { get; set; }
        public int CompletionTokens { get; set; }
        public int ReasoningTokens { get; set; }
        public double PromptSeconds { get; set; }
        public double GenerationSeconds { get; set; }
        public double SampleSeconds { get; set; }
        public int PromptStep { get; set; }          // prompt tokens queued in this round's step (0: a sampled token)

        public void Assign(GenerationJob job)
        {
            Clear();
            Job = job;
        }

        public void Clear()
        {
            (Job, Run, Choice, PromptCursor, PromptStep) = (null, null, 0, -1, 0);
            (CachedTokens, CompletionTokens, ReasoningTokens, PromptSeconds, GenerationSeconds) = (0, 0, 0, 0, 0);
        }
    }
}
