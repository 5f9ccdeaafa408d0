using System.Runtime.ExceptionServices;

namespace DeepSharp.Kernels.Threading;

/// <summary>A unit of row-parallel work: process items [start, limit) on worker <c>worker</c> (0 = the calling thread).</summary>
public interface IParallelJob
{
    void Execute(int worker, int start, int limit);
}

/// <summary>
/// A persistent pool of <c>Threads - 1</c> background workers plus the calling thread. <see cref="Run"/> gives each
/// thread one contiguous range of the <c>count</c> items. A thread takes its own range front to back in pieces of half
/// what is left, so it reads one forward stream of weights (which the hardware prefetcher follows); once its range is
/// empty it takes half of what is left from the back of the fullest other range. Pieces shrink as the ranges empty, so
/// the threads finish within about one item of each other, and a worker that wakes late only takes less. (The counter
/// of fixed chunks this replaces left up to a chunk, 1/8 of a product, to one thread at the end: ~10% of a 2-thread
/// decode step idle.) Nothing is allocated per call (the job is a reused object): this replaces Parallel.For on the
/// per-token path.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private const int RangeStride = 8;   // longs: one cache line per range, so threads on their own ranges share none
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start;
    private readonly ManualResetEventSlim _done = new(false, spinCount: 200);
    private IParallelJob? _job;
    private readonly long[] _ranges;    // thread i's items left: [Low, High) packed in _ranges[i * RangeStride]
    private int _pending;
    private volatile bool _stopping;
    private Exception? _failure;
    private bool _disposed;

    public WorkerPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _start = new SemaphoreSlim(0, threads);
        _ranges = new long[threads * RangeStride];
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
        for (int i = 0; i < Threads; i++)
            _ranges[i * RangeStride] = Range((int)((long)count * i / Threads), (int)((long)count * (i + 1) / Threads));
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
            while (TakeHalf(worker, fromFront: true, out int start, out int limit)) job.Execute(worker, start, limit);
            for (int victim; (victim = FullestRange()) >= 0;)
                if (TakeHalf(victim, fromFront: false, out int start, out int limit)) job.Execute(worker, start, limit);
        }
#pragma warning disable CA1031 // a worker must not die: the failure is rethrown on the calling thread
        catch (Exception e)
#pragma warning restore CA1031
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            for (int i = 0; i < Threads; i++) Volatile.Write(ref _ranges[i * RangeStride], Range(0, 0));
        }
    }

    private static long Range(int low, int high) => (uint)low | ((long)high << 32);

    private static int Low(long range) => (int)(uint)range;

    private static int High(long range) => (int)(range >> 32);

    // Half of what is left of range r (at least one item), from its front (its owner) or its back (a thread helping).
    private bool TakeHalf(int r, bool fromFront, out int start, out int limit)
    {
        ref long slot = ref _ranges[r * RangeStride];
        while (true)
        {
            long range = Volatile.Read(ref slot);
            int low = Low(range), high = High(range);
            if (low >= high)
            {
                (start, limit) = (0, 0);
                return false;
            }
            int take = Math.Max(1, (high - low) / 2);
            (start, limit) = fromFront ? (low, low + take) : (high - take, high);
            long left = fromFront ? Range(limit, high) : Range(low, start);
            if (Interlocked.CompareExchange(ref slot, left, range) == range) return true;
        }
    }

    // The range with the most items left, or -1 when all are empty.
    private int FullestRange()
    {
        int fullest = -1, most = 0;
        for (int i = 0; i < Threads; i++)
        {
            long range = Volatile.Read(ref _ranges[i * RangeStride]);
            int left = High(range) - Low(range);
            if (left > most) (most, fullest) = (left, i);
        }
        return fullest;
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
