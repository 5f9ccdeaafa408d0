using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Tests;

public sealed class WorkerPoolTests
{
    private sealed class Marker(int n) : IParallelJob
    {
        public int[] Hits { get; } = new int[n];
        public int FailAt { get; set; } = -1;

        public void Execute(int worker, int start, int limit)
        {
            for (int i = start; i < limit; i++)
            {
                if (i == FailAt) throw new InvalidOperationException("boom");
                Interlocked.Increment(ref Hits[i]);
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 1000)]
    [InlineData(4, 3)]
    public void Every_item_runs_exactly_once_across_many_runs(int threads, int count)
    {
        using var pool = new WorkerPool(threads);
        var job = new Marker(count);
        for (int run = 0; run < 50; run++) pool.Run(job, count);
        Assert.All(job.Hits, h => Assert.Equal(50, h));
    }

    [Fact]
    public void A_worker_exception_reaches_the_caller_and_the_pool_keeps_working()
    {
        using var pool = new WorkerPool(3);
        var job = new Marker(100) { FailAt = 77 };
        Assert.Throws<InvalidOperationException>(() => pool.Run(job, 100));
        job.FailAt = -1;
        Array.Clear(job.Hits);
        pool.Run(job, 100);
        Assert.All(job.Hits, h => Assert.Equal(1, h));
    }

    // Thread 0 holds its first piece until the worker has done all it can: the worker must take its own range front to
    // back in halving pieces, then what thread 0 left, in halves from the back; thread 0 then finds nothing left.
    private sealed class Recorder : IParallelJob
    {
        private int _done, _mainStarted;
        public List<(int, int)>[] Pieces { get; } = [[], []];

        public void Execute(int worker, int start, int limit)
        {
            lock (Pieces) Pieces[worker].Add((start, limit));
            if (worker == 0 && Interlocked.Exchange(ref _mainStarted, 1) == 0)
                Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _done) == 12, TimeSpan.FromSeconds(30)), "the worker did not take the rest");
            if (worker == 1)
            {
                Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref _mainStarted) == 1, TimeSpan.FromSeconds(30)), "thread 0 did not start");
                Interlocked.Add(ref _done, limit - start);
            }
        }
    }

    [Fact]
    public void Each_thread_takes_its_own_range_in_halves_then_helps_from_the_back()
    {
        using var pool = new WorkerPool(2);
        var job = new Recorder();
        pool.Run(job, 16);
        Assert.Equal([(0, 4)], job.Pieces[0]);
        Assert.Equal([(8, 12), (12, 14), (14, 15), (15, 16), (6, 8), (5, 6), (4, 5)], job.Pieces[1]);
    }
}
