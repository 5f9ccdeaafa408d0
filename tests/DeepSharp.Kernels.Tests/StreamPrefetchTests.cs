namespace DeepSharp.Kernels.Tests;

/// <summary>
/// Decode's software prefetch is chosen per CPU (<see cref="StreamPrefetch"/>): on where it was measured to gain (AMD
/// family 1Ah, Intel family 6 model CFh), off where it was measured to lose (AMD family 19h) and where nothing was
/// measured; the variable overrides.
/// Values never change with it (a prefetch reads nothing into a register), so the kernel tests cover both settings
/// only through the CPUs they run on.
/// </summary>
public sealed class StreamPrefetchTests
{
    private static readonly CpuIdentity Zen5 = new(CpuIdentity.Amd, 0x1A);
    private static readonly CpuIdentity Zen4 = new(CpuIdentity.Amd, 0x19);
    private static readonly CpuIdentity EmeraldRapids = new(CpuIdentity.Intel, 6, 0xCF);

    [Fact]
    public void Only_the_cpus_measured_to_gain_prefetch_by_default()
    {
        Assert.Equal(StreamPrefetch.MeasuredBytes, StreamPrefetch.Select(null, Zen5));
        Assert.Equal(StreamPrefetch.MeasuredBytes, StreamPrefetch.Select(" ", Zen5));
        Assert.Equal(StreamPrefetch.MeasuredBytes, StreamPrefetch.Select(null, EmeraldRapids));
        Assert.Equal(0, StreamPrefetch.Select(null, Zen4));
        Assert.Equal(0, StreamPrefetch.Select(null, new CpuIdentity(CpuIdentity.Intel, 6)));
        Assert.Equal(0, StreamPrefetch.Select(null, new CpuIdentity(CpuIdentity.Intel, 6, 0x9E)));
        Assert.Equal(0, StreamPrefetch.Select(null, new CpuIdentity(CpuIdentity.Amd, 6, 0xCF)));
        Assert.Equal(0, StreamPrefetch.Select(null, new CpuIdentity("", 0)));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("4096", 4096)]
    [InlineData(" 16384 ", 16384)]
    public void The_variable_sets_the_distance_on_any_cpu(string value, int bytes)
    {
        Assert.Equal(bytes, StreamPrefetch.Select(value, Zen4));
        Assert.Equal(bytes, StreamPrefetch.Select(value, Zen5));
        Assert.Equal(bytes, StreamPrefetch.Select(value, EmeraldRapids));
    }

    [Theory]
    [InlineData("8k")]
    [InlineData("-64")]
    [InlineData("100")]
    [InlineData("2097152")]
    public void A_value_that_is_no_distance_is_a_clear_error(string value)
    {
        var e = Assert.Throws<InvalidOperationException>(() => StreamPrefetch.Select(value, Zen5));
        Assert.Contains(StreamPrefetch.EnvironmentVariable, e.Message, StringComparison.Ordinal);
        Assert.Contains(value, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x00A20F10, 0x19)]   // Zen 4 (family 19h, extended family 0Ah)
    [InlineData(0x00B40F40, 0x1A)]   // Zen 5 (family 1Ah, extended family 0Bh)
    [InlineData(0x000906EA, 6)]      // an Intel core: base family 6, the extended family not added
    public void The_family_adds_the_extended_family_only_to_base_family_0Fh(int eax, int family) =>
        Assert.Equal(family, CpuIdentity.FamilyOf(eax));

    [Theory]
    [InlineData(0x000C06F2, 0xCF)]   // Emerald Rapids (family 6: the extended model CH is the high half)
    [InlineData(0x000906EA, 0x9E)]   // a Coffee Lake core
    [InlineData(0x00A20F10, 0x21)]   // Zen 4 (base family 0Fh: the extended model counts too)
    [InlineData(0x00010543, 0x4)]    // base family 5: extended model bits set but not counted
    public void The_model_takes_the_extended_model_as_its_high_half_on_families_6_and_0Fh(int eax, int model) =>
        Assert.Equal(model, CpuIdentity.ModelOf(eax));

    [Fact]
    public void This_machine_reads_its_own_identity()
    {
        var cpu = CpuIdentity.Current;
        if (System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            Assert.Equal(12, cpu.Vendor.Length);
            Assert.True(cpu.Family > 0);
        }
        else Assert.Equal(new CpuIdentity("", 0), cpu);
        Assert.Equal(StreamPrefetch.Select(Environment.GetEnvironmentVariable(StreamPrefetch.EnvironmentVariable), cpu), StreamPrefetch.Bytes);
    }
}
