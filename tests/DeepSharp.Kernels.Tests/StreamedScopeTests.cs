namespace DeepSharp.Kernels.Tests;

/// <summary>A model's load takes its weight copies from an arena of its own (<see cref="StreamedMemory.BeginModel"/>).</summary>
public sealed class StreamedScopeTests
{
    [Fact]
    public async Task A_models_buffers_share_regions_only_with_each_other_and_with_the_tasks_its_load_starts()
    {
        if (!OperatingSystem.IsLinux()) return;   // elsewhere every buffer is a region of its own
        StreamedBuffer first, second, fromTask;
        using (StreamedMemory.BeginModel())
        {
            first = new StreamedBuffer(100);
            second = new StreamedBuffer(100);
            fromTask = await Task.Run(() => new StreamedBuffer(100));
        }
        var after = new StreamedBuffer(100);

        Assert.Same(first.Region, second.Region);
        Assert.Same(first.Region, fromTask.Region);
        Assert.NotSame(first.Region, after.Region);
        Assert.Same(StreamedArena.Shared, StreamedArena.Current);
    }
}
