using System.Runtime.ExceptionServices;

namespace DeepSharp.Kernels.Threading;

/// <summary>A unit of row-parallel work: process items [start, limit) on worker <c>worker</c> (0 = the calling thread).</summary>
public interface IParallelJob
{
    void Execute(int worker, int start, int limit);
}

/// <summary>
/// A persistent pool of <c>Threads - 1</c> background workers plus the calling thread. <see cref="Run"/> splits
/// <c>count</c> items into chunks that threads claim with an atomic counter, so uneven rows balance themselves.
/// Nothing is allocated per call (the job is a reused object): this replaces Parallel.For on the per-token path.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private const int ChunksPerThread = 4;
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start;
    private readonly ManualResetEventSlim _done = new(false, spinCount: 200);
    private IParallelJob? _job;
    private int _count, _chunk, _next, _pending;
    private volatile bool _stopping;
    private Exception? _failure;
    private bool _disposed;

    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _start = new SemaphoreSlim(0, threads);
        _threads = new Thread[threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i + 1;
            _threads[i] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"DeepSharp worker {worker}" };
            _threads[i].Start();
        }
        // ManualResetEventSlim allocates its monitor object the first time a Wait has to block (after spinning),
        // which on a loaded machine can first happen mid-generation: one 24-byte allocation on the per-token path.
        // A short timed wait now makes that happen at construction instead.
        _done.Wait(TimeSpan.FromMilliseconds(1));
    }

    /// <summary>Threads taking part in a run, the caller included.</summary>
    public int Threads { get; }

    /// <summary>Runs <paramref name="job"/> over items [0, count) and returns when all are done; rethrows a worker's exception.</summary>
    public void Run(IParallelJob job, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 0) return;
        if (_threads.Length == 0 || count == 1)
        {
            job.Execute(0, 0, count);
            return;
        }
        _job = job;
        _count = count;
        _chunk = Math.Max(1, count / (Threads * ChunksPerThread));
        _next = 0;
        _failure = null;
        _pending = _threads.Length;
        _done.Reset();
        _start.Release(_threads.Length);
        Work(0);
        _done.Wait();
        _job = null;
        if (_failure is { } failure) ExceptionDispatchInfo.Throw(failure);
    }

    private void WorkerLoop(int worker)
    {
        while (true)
        {
            _start.Wait();
            if (_stopping) return;
            Work(worker);
            if (Interlocked.Decrement(ref _pending) == 0) _done.Set();
        }
    }

    private void Work(int worker)
    {
        var job = _job!;
        try
        {
            while (true)
            {
                int start = Interlocked.Add(ref _next, _chunk) - _chunk;
                if (start >= _count) return;
                job.Execute(worker, start, Math.Min(start + _chunk, _count));
            }
        }
#pragma warning disable CA1031 // a worker must not die: the failure is rethrown on the calling thread
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            Volatile.Write(ref _next, _count);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stopping = true;
        if (_threads.Length > 0) _start.Release(_threads.Length);
        foreach (var t in _threads) t.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
