using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Kernels.Tests;

/// <summary>
/// The vector activation quantizers against their scalar references, bit for bit: random blocks at several
/// magnitudes, exact .5 ties (round half to even), ±amax ties (the first one sets Q8_K's sign), zero, subnormal
/// and single-spike blocks.
/// </summary>
public sealed class Int8QuantizerTests
{
    public static TheoryData<string> Blocks() => ["random", "small", "ties", "signs", "zero", "subnormal", "spike"];

    private static float[] Block(string kind, int n, int seed)
    {
        var x = TestData.Random(n, seed, 4f);
        switch (kind)
        {
            case "small": for (int i = 0; i < n; i++) x[i] *= 1e-6f; break;
            case "ties": for (int i = 0; i < n; i++) x[i] = (i % 9 - 4) + 0.5f; x[n - 1] = 127f; x[0] = -4.5f; break;
            case "signs": x[3] = -9f; x[n / 2] = 9f; x[n - 1] = -9f; break;
            case "zero": Array.Clear(x); break;
            case "subnormal": for (int i = 0; i < n; i++) x[i] = (i - n / 2) * float.Epsilon; break;
            case "spike": Array.Clear(x); x[n / 3] = -0.75f; break;
        }
        return x;
    }

    [Theory, MemberData(nameof(Blocks))]
    public void Q8_0_block_equals_the_scalar_reference(string kind)
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var x = Block(kind, 32, seed);
            sbyte[] q = new sbyte[32], qRef = new sbyte[32];
            var (d, s) = Int8Quantizer.Q8(x, q);
            var (dRef, sRef) = Int8Quantizer.Q8Scalar(x, qRef);
            Assert.Equal(qRef, q);
            Assert.Equal(BitConverter.SingleToInt32Bits(dRef), BitConverter.SingleToInt32Bits(d));
            Assert.Equal(BitConverter.SingleToInt32Bits(sRef), BitConverter.SingleToInt32Bits(s));
        }
    }

    [Theory, MemberData(nameof(Blocks))]
    public void Q8_K_block_equals_the_scalar_reference(string kind)
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var x = Block(kind, 256, seed + 100);
            sbyte[] q = new sbyte[256], qRef = new sbyte[256];
            short[] bs = new short[16], bsRef = new short[16];
            float d = Int8Quantizer.Q8K(x, q, bs);
            float dRef = Int8Quantizer.Q8KScalar(x, qRef, bsRef);
            Assert.Equal(qRef, q);
            Assert.Equal(bsRef, bs);
            Assert.Equal(BitConverter.SingleToInt32Bits(dRef), BitConverter.SingleToInt32Bits(d));
        }
    }

    [Fact]
    public void Q8_K_takes_the_sign_of_the_first_element_of_largest_magnitude()
    {
        var x = new float[256];
        x[10] = -2f;
        x[200] = 2f;
        var q = new sbyte[256];
        float d = Int8Quantizer.Q8K(x, q, new short[16]);
        Assert.Equal(2f / 127f, d, 1e-7f);        // d = max / −127: the first (negative) element maps to −127
        Assert.Equal((sbyte)-127, q[10]);
        Assert.Equal((sbyte)127, q[200]);
    }
}
