namespace DeepSharp.Kernels.Tests;

/// <summary>A bad kernel setting is one clear error on the caller's thread (<see cref="KernelSettings.Check"/>).</summary>
public sealed class KernelSettingsTests
{
    [Fact]
    public void Unset_variables_are_valid() => KernelSettings.Check(_ => null);

    [Theory]
    [InlineData(StreamPrefetch.EnvironmentVariable, "8k")]
    [InlineData(KernelIsaSelection.EnvironmentVariable, "sse9")]
    public void A_bad_value_names_its_variable(string variable, string value)
    {
        var e = Assert.Throws<InvalidOperationException>(() => KernelSettings.Check(name => name == variable ? value : null));
        Assert.Contains($"{variable}='{value}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_good_value_passes() =>
        KernelSettings.Check(name => name == StreamPrefetch.EnvironmentVariable ? "4096" : name == KernelIsaSelection.EnvironmentVariable ? "scalar" : null);
}
