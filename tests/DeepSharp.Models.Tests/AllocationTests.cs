using static DeepSharp.Models.Tests.ModelTestHelpers;

namespace DeepSharp.Models.Tests;

[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class RunsAlone;

/// <summary>
/// The per-token path allocates nothing on the decoding thread (which runs the calling thread's share of every
/// parallel kernel, so the kernels' per-call paths are covered). Run alone so the measurement is undisturbed. A
/// process-wide collection count is not asserted: the test host's own threads can trigger a collection.
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
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 16; i++) session.Decode(7 + i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData("tiny-qwen2", "q8_0")]
    [InlineData("tiny-deepseek2", "q8_0")]
    public void Batched_decode_steps_allocate_nothing(string preset, string fileType)
    {
        using var model = Load(files.Get(preset, fileType), ctx: 64);
        Session[] sessions = [model.CreateSession(), model.CreateSession()];
        sessions[0].Prefill([1, 17, 42, 99]);
        sessions[1].Prefill([9]);
        var decoder = new BatchDecoder(model, maxSequences: 2);
        int[] tokens = [5, 6];
        for (int i = 0; i < 4; i++) decoder.DecodeStep(sessions, tokens);   // warm: JIT, lazy statics
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 16; i++) decoder.DecodeStep(sessions, tokens);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        foreach (var s in sessions) s.Dispose();
    }
}
