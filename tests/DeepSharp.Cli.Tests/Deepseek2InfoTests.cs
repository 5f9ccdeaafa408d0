namespace DeepSharp.Cli.Tests;

/// <summary><c>deepsharp synth --arch deepseek2</c> then <c>deepsharp info</c>: the MLA and MoE lines and the active-parameter count.</summary>
public sealed class Deepseek2InfoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ds2-info-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Info_shows_mla_moe_and_active_parameters_of_a_synthetic_deepseek2()
    {
        string path = Path.Combine(_dir, "tiny-deepseek2.gguf");
        var synth = CliRunner.Run("synth", "--arch", "deepseek2", "--preset", "tiny-deepseek2", "--type", "f32", "--out", path);
        Assert.True(synth.Code == 0, synth.Stderr);

        var (code, stdout, stderr) = CliRunner.Run("info", path);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"architecture\s+deepseek2\n", stdout);
        Assert.Matches(@"attention\s+MLA: kv_lora_rank 64, q_lora_rank 64, q/k head 32 \+ rope 16, v head 32, attn_k_b/attn_v_b\n", stdout);
        Assert.Matches(@"kv per token\s+80 values per layer .* would need 320\n", stdout);   // 4 heads × (48 + 32)
        Assert.Matches(@"experts\s+12 routed, top-3 \(sigmoid \+ selection bias, 2 of 4 groups; renormalised, scale 2.5\), 1 shared, width 32; 1 leading dense layer", stdout);
        // Two MoE layers × 3 stacked tensors × 64·32 values per expert: 12 stored, 3 used per token.
        long total = long.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"parameters\s+(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        long inactive = 2L * 3 * 64 * 32 * (12 - 3);
        Assert.Matches($@"active params\s+{total - inactive} \(", stdout);
    }
}
