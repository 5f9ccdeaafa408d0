using DeepSharp.Kernels.Float;

namespace DeepSharp.Kernels.Tests;

public class ExpfVectorTests
{
    private static uint Bits(float v) => BitConverter.SingleToUInt32Bits(v);

    // glibc's expf on an x86-64 CPU with FMA is the one ExpfVector follows: with the AVX-512 or AVX2 kernels selected
    // (both imply FMA on the CPUs that have them) its self-check must pass there, or the tests below would pass by
    // doing nothing. DEEPSHARP_FORCE_ISA=avx2 runs these tests on the 4-lane form.
    [Fact]
    public void On_glibc_with_avx512_or_avx2_the_vector_path_is_taken()
    {
        bool glibc = OperatingSystem.IsLinux() && !System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal);
        bool fma = System.Runtime.Intrinsics.X86.Fma.IsSupported;
        if (KernelIsaSelection.Current is KernelIsa.Avx512 or KernelIsa.Avx2 && fma && glibc) Assert.True(ExpfVector.IsSupported);
    }

    // Where it is used, every lane must be MathF.Exp's bits: every 7th float with |x| < 88, both signs (~600M values
    // together; the whole range, checked once, takes ~7 s).
    [Fact]
    public void Every_seventh_float_below_88_in_magnitude_gives_the_platform_expf_bits()
    {
        if (!ExpfVector.IsSupported) return;   // the attention keeps MathF.Exp here
        const uint limit = 0x42b0_0000;
        Parallel.For(0, 64, part =>
        {
            Span<float> lanes = stackalloc float[8], wanted = stackalloc float[8];
            uint span = limit / 64, from = (uint)part * span, to = from + span;
            for (uint b = from; b + 56 <= to; b += 56)
                foreach (uint sign in new[] { 0u, 0x8000_0000u })
                {
                    for (int k = 0; k < 8; k++)
                    {
                        lanes[k] = BitConverter.UInt32BitsToSingle((b + 7 * (uint)k) | sign);
                        wanted[k] = MathF.Exp(lanes[k]);
                    }
                    ExpfVector.Apply(ref lanes[0]);
                    for (int k = 0; k < 8; k++)
                        if (Bits(lanes[k]) != Bits(wanted[k]))
                            Assert.Fail($"x = 0x{(b + 7 * (uint)k) | sign:x8}: {wanted[k]:R} vs {lanes[k]:R}");
                }
        });
    }

    // A vector with one lane at |x| ≥ 88, infinite or NaN goes lane by lane through MathF.Exp: each such value at
    // each of the 8 places, among ordinary ones.
    [Fact]
    public void Large_infinite_and_nan_lanes_give_the_platform_expf_bits_in_every_lane()
    {
        if (!ExpfVector.IsSupported) return;
        float[] specials = [88f, -88f, 88.72284f, 89f, -103.97f, -104f, -1e30f, float.NegativeInfinity, float.PositiveInfinity, float.NaN];
        foreach (float special in specials)
            for (int at = 0; at < 8; at++)
            {
                var x = new float[] { -0.5f, -1.25f, -3f, -0.001f, -20f, -60f, 0f, -87.5f };
                x[at] = special;
                var y = (float[])x.Clone();
                ExpfVector.Apply(ref y[0]);
                for (int k = 0; k < 8; k++)
                    Assert.True(Bits(MathF.Exp(x[k])) == Bits(y[k]), $"{special} at {at}, lane {k}: {MathF.Exp(x[k]):R} vs {y[k]:R}");
            }
    }
}
