using DeepSharp.Core.Quant;
using DeepSharp.Sampling;

namespace DeepSharp.Synth;

/// <summary>
/// Makes the values of one tensor row by row. Each row has its own generator seeded from (seed, tensor index, row),
/// so the bytes do not depend on how rows are split across threads.
/// Normal samples come from a 65,536-entry inverse-CDF table indexed by 16 random bits (four samples per 64-bit
/// draw): a 1.5B-parameter model needs ~1.8 billion samples, and Box–Muller's log/sqrt/cos per pair would cost more
/// than quantizing them. The table is N(0, 1) discretized at the quantiles (i + ½)/65536 (|x| ≤ 4.33).
/// </summary>
internal static class WeightGenerator
{
    private static readonly float[] NormalTable = BuildNormalTable();

    public static void FillRow(SynthTensor tensor, int tensorIndex, long row, ulong seed, float std, Span<float> dst)
    {
        switch (tensor.Kind)
        {
            case WeightKind.Ones:
                dst.Fill(1f);
                break;
            case WeightKind.RopeFactors:
                throw new InvalidOperationException("RoPE factors are filled by the writer from the shape.");
            default:
                FillNormal(RowSeed(seed, tensorIndex, row), std, dst);
                break;
        }
    }

    /// <summary>Llama 3.1 frequency factors, one per rotary pair (HF <c>_compute_llama3_parameters</c>; llama.cpp divides θ by them).</summary>
    public static float[] Llama3RopeFactors(Llama3RopeScaling scaling, int headDim, float freqBase)
    {
        double lowFreqWavelen = scaling.OriginalContextLength / scaling.LowFreqFactor;
        double highFreqWavelen = scaling.OriginalContextLength / scaling.HighFreqFactor;
        var factors = new float[headDim / 2];
        for (int i = 0; i < factors.Length; i++)
        {
            double freq = Math.Pow(freqBase, -2.0 * i / headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highFreqWavelen)
            {
                factors[i] = 1f;
            }
            else if (wavelen > lowFreqWavelen)
            {
                factors[i] = scaling.Factor;
            }
            else
            {
                double smooth = ((scaling.OriginalContextLength / wavelen) - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                factors[i] = (float)(1 / (((1 - smooth) / scaling.Factor) + smooth));
            }
        }

        return factors;
    }

    public static ulong RowSeed(ulong seed, int tensorIndex, long row)
    {
        ulong s = seed;
        ulong a = Xoshiro256StarStar.SplitMix64(ref s) ^ (ulong)tensorIndex;
        ulong b = Xoshiro256StarStar.SplitMix64(ref a) ^ (ulong)row;
        return Xoshiro256StarStar.SplitMix64(ref b);
    }

    private static void FillNormal(ulong rowSeed, float std, Span<float> dst)
    {
        var rng = new Xoshiro256StarStar(rowSeed);
        int i = 0;
        for (; i + 4 <= dst.Length; i += 4)
        {
            ulong r = rng.NextUInt64();
            dst[i] = NormalTable[(int)(r & 0xFFFF)] * std;
            dst[i + 1] = NormalTable[(int)((r >> 16) & 0xFFFF)] * std;
            dst[i + 2] = NormalTable[(int)((r >> 32) & 0xFFFF)] * std;
            dst[i + 3] = NormalTable[(int)(r >> 48)] * std;
        }

        for (ulong r = rng.NextUInt64(); i < dst.Length; i++, r >>= 16)
        {
            dst[i] = NormalTable[(int)(r & 0xFFFF)] * std;
        }
    }

    /// <summary>Inverse normal CDF at the 65,536 mid-quantiles, by integrating the density (trapezoid, step 1e-4) once.</summary>
    private static float[] BuildNormalTable()
    {
        const int n = 1 << 16;
        const double h = 1e-4;
        var table = new float[n];
        double x = -6.0;
        double cdf = 0.0;                    // Φ(−6) ≈ 1e-9, below the first quantile by far
        double pdf = Density(x);
        for (int i = 0; i < n / 2; i++)
        {
            double target = (i + 0.5) / n;
            while (true)
            {
                double nextPdf = Density(x + h);
                double nextCdf = cdf + (0.5 * h * (pdf + nextPdf));
                if (nextCdf >= target)
                {
                    table[i] = (float)(x + (h * (target - cdf) / (nextCdf - cdf)));
                    break;
                }

                (x, cdf, pdf) = (x + h, nextCdf, nextPdf);
            }
        }

        for (int i = n / 2; i < n; i++)
        {
            table[i] = -table[n - 1 - i];   // exact symmetry keeps the mean at zero
        }

        return table;

        static double Density(double v) => Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI);
    }
}
