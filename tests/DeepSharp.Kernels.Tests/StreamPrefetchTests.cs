namespace DeepSharp.Kernels.Tests;

/// <summary>
/// Decode's software prefetch is chosen per CPU (<see cref="StreamPrefetch"/>): on where it was measured to gain (AMD
/// family 1Ah into every level, Intel family 6 model CFh into L2), off where it was measured to lose (AMD family 19h)
/// and where nothing was measured; the variable overrides.
/// Values never change with it (a prefetch reads nothing into a register), so the kernel tests cover both settings
/// only through the CPUs they run on.
/// </summary>
public sealed class StreamPrefetchTests
{
    private static readonly CpuIdentity Zen5 = new(CpuIdentity.Amd, 0x1A);
    private static readonly CpuIdentity Zen4 = new(CpuIdentity.Amd, 0x19);
    private static readonly CpuIdentity EmeraldRapids = new(CpuIdentity.Intel, 6, 0xCF);

    [Fact]
    public void Only_the_cpus_measured_to_gain_prefetch_by_default_each_into_the_level_measured()
    {
        var intoEveryLevel = new StreamPrefetchSetting(StreamPrefetch.MeasuredBytes, IntoL2: false);
        var none = new StreamPrefetchSetting(0, IntoL2: false);
        Assert.Equal(intoEveryLevel, StreamPrefetch.Select(null, Zen5));
        Assert.Equal(intoEveryLevel, StreamPrefetch.Select(" ", Zen5));
        Assert.Equal(new StreamPrefetchSetting(StreamPrefetch.MeasuredBytes, IntoL2: true), StreamPrefetch.Select(null, EmeraldRapids));
        Assert.Equal(none, StreamPrefetch.Select(null, Zen4));
        Assert.Equal(none, StreamPrefetch.Select(null, new CpuIdentity(CpuIdentity.Intel, 6)));
        Assert.Equal(none, StreamPrefetch.Select(null, new CpuIdentity(CpuIdentity.Intel, 6, 0x9E)));
        Assert.Equal(none, StreamPrefetch.Select(null, new CpuIdentity(CpuIdentity.Amd, 6, 0xCF)));
        Assert.Equal(none, StreamPrefetch.Select(null, new CpuIdentity("", 0)));
    }

    [Theory]
    [InlineData("0", 0, false)]
    [InlineData("4096", 4096, false)]
    [InlineData(" 16384 ", 16384, false)]
    [InlineData("8192:l2", 8192, true)]
    [InlineData(" 4096:L2 ", 4096, true)]
    [InlineData("0:l2", 0, false)]   // no prefetch goes nowhere
    public void The_variable_sets_the_distance_and_level_on_any_cpu(string value, int bytes, bool intoL2)
    {
        var expected = new StreamPrefetchSetting(bytes, intoL2);
        Assert.Equal(expected, StreamPrefetch.Select(value, Zen4));
        Assert.Equal(expected, StreamPrefetch.Select(value, Zen5));
        Assert.Equal(expected, StreamPrefetch.Select(value, EmeraldRapids));
    }

    [Fact]
    public void A_setting_reads_as_the_tables_print_it()
    {
        Assert.Equal("none", new StreamPrefetchSetting(0, IntoL2: false).ToString());
        Assert.Equal("8192 bytes ahead into every level", new StreamPrefetchSetting(8192, IntoL2: false).ToString());
        Assert.Equal("4096 bytes ahead into L2", new StreamPrefetchSetting(4096, IntoL2: true).ToString());
    }

    [Theory]
    [InlineData("8k")]
    [InlineData("-64")]
    [InlineData("100")]
    [InlineData("2097152")]
    [InlineData("8192:l3")]
    [InlineData(":l2")]
    [InlineData("l2")]
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
        Assert.Equal(StreamPrefetch.Select(Environment.GetEnvironmentVariable(StreamPrefetch.EnvironmentVariable), cpu), StreamPrefetch.Current);
        Assert.Equal(StreamPrefetch.Current.Bytes, StreamPrefetch.Bytes);
        Assert.Equal(StreamPrefetch.Current.IntoL2, StreamPrefetch.IntoL2);
    }
}
