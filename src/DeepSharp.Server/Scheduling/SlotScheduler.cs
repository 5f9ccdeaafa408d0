using System.Diagnostics;
using DeepSharp.Server.Backend;

namespace DeepSharp.Server.Scheduling;

/// <summary>
/// Runs generation jobs on <c>--parallel</c> slots (one KV cache each) from a single scheduler thread that steps every
/// busy slot once per round: a prompt chunk for a slot still reading its prompt, one token for a generating one, where
/// all generating slots append their tokens together in one batched forward pass (one read of the weights serves
/// every stream: continuous batching). New
/// jobs join between rounds; jobs beyond the slots wait in a bounded FIFO queue, and <see cref="TryEnqueue"/> refuses
/// beyond that. Each slot keeps the tokens of its cache, and a job goes to the free slot sharing the longest prefix
/// with its prompt, which is then reused rather than recomputed (system prompt, earlier turns).
/// <para>
/// Why one thread: the model serialises forward passes anyway, and a round over all slots is exactly the place where
/// the sampled tokens of every generating slot can be gathered for <see cref="IModelBackend.AppendEach"/>.
/// </para>
/// </summary>
internal sealed class SlotScheduler : IDisposable
{
    /// <summary>Prompt tokens a slot processes per round, so a long prompt does not stall the other streams.</summary>
    internal const int PromptChunk = 128;

    private readonly IModelBackend _backend;
    private readonly Slot[] _slots;
    private readonly LinkedList<GenerationJob> _waiting = new();
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly ServerMetrics _metrics;
    private readonly Thread _thread;
    private readonly List<Slot> _decoding = [];                  // this round's slots whose token is still to append
    private readonly List<ISequenceSlot> _decodingEngines = [];
    private readonly List<int> _decodingTokens = [];
    private volatile bool _stopping;
    private int _busy;

    public SlotScheduler(IModelBackend backend, int slots, int queueCapacity, ServerMetrics metrics)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueCapacity);
        _backend = backend;
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
            Admit();
            bool any = false;
            foreach (var slot in _slots)
            {
                if (slot.Job is null) continue;
                any = true;
                Step(slot);
            }
            if (_decoding.Count > 0) DecodeTogether();
            if (!any)
            {
                _wake.Wait(TimeSpan.FromMilliseconds(250));
                _wake.Reset();
            }
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

    /// <summary>Starts a choice: rewinds to the shared prefix, then feeds the rest of the prompt chunk by chunk.</summary>
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
        var clock = Stopwatch.StartNew();
        int count = Math.Min(PromptChunk, prompt.Length - slot.PromptCursor);
        slot.Engine.Append(prompt.AsSpan(slot.PromptCursor, count));
        slot.PromptCursor += count;
        slot.PromptSeconds += clock.Elapsed.TotalSeconds;
        _metrics.PromptProcessed(count, clock.Elapsed.TotalSeconds);
        if (slot.PromptCursor == prompt.Length) slot.Run = new SequenceRun(_backend, job.Request, slot.Choice);
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
            _decoding.Add(slot);
            _decodingEngines.Add(slot.Engine);
            _decodingTokens.Add(outcome.Token);
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

    /// <summary>
    /// Appends every generating slot's sampled token in one forward pass. Each stream waited the whole step, so each
    /// slot's own timing counts all of it; the server-wide metric gets an equal share per token, so its tokens/s is
    /// the aggregate rate.
    /// </summary>
    private void DecodeTogether()
    {
        var clock = Stopwatch.StartNew();
        try
        {
            _backend.AppendEach(_decodingEngines, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_decodingTokens));
            double seconds = clock.Elapsed.TotalSeconds;
            foreach (var slot in _decoding)
            {
                slot.GenerationSeconds += seconds;
                _metrics.TokenGenerated(slot.SampleSeconds + seconds / _decoding.Count);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            foreach (var slot in _decoding)
            {
                if (slot.Job is not { } job) continue;
                slot.Engine.Rewind(0);
                Release(slot, () => job.Fail(e));
            }
        }
        finally
        {
            _decoding.Clear();
            _decodingEngines.Clear();
            _decodingTokens.Clear();
        }
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

        public void Assign(GenerationJob job)
        {
            Clear();
            Job = job;
        }

        public void Clear()
        {
            (Job, Run, Choice, PromptCursor) = (null, null, 0, -1);
            (CachedTokens, CompletionTokens, ReasoningTokens, PromptSeconds, GenerationSeconds) = (0, 0, 0, 0, 0);
        }
    }
}
