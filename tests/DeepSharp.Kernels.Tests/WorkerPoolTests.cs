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
}
