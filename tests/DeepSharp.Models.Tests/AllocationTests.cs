using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class RunsAlone;

/// <summary>
/// The per-token path allocates nothing: no managed bytes on the decoding thread, and no collection while it runs
/// (the pool's workers would trigger one if they allocated; run alone so other tests' allocations do not count).
/// </summary>
[Collection(nameof(AllocationTests))]
public sealed class AllocationTests(SynthFiles files) : IClassFixture<SynthFiles>
{
    [Theory]
    [InlineData("tiny-qwen2-k", "q4_k_m")]
    [InlineData("tiny-llama", "q8_0")]
    [InlineData("tiny-qwen2", "f16")]
    public void Decoding_tokens_allocates_nothing(string preset, string fileType)
    {
        using var model = Load(files.Get(preset, fileType), ctx: 64);
        using var session = model.CreateSession();
        session.Prefill([1, 17, 42, 99]);
        for (int i = 0; i < 4; i++) session.Decode(5 + i);      // warm: JIT, lazy statics
        int gen0 = GC.CollectionCount(0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 16; i++) session.Decode(7 + i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(gen0, GC.CollectionCount(0));
    }
}
