using DeepSharp.Train.Autograd;

namespace DeepSharp.Train.Tests;

/// <summary>
/// Compares a tape's gradients with central finite differences of L = Σ r ⊙ f(inputs) for a fixed random r. Inputs
/// are O(1) and ε = 1e-2, so in float the difference quotient is good to about 1e-3 of the gradient's scale.
/// </summary>
internal static class GradCheck
{
    private const float Eps = 1e-2f;

    public static void Check(Func<Tape, Tensor> f, IReadOnlyList<Tensor> inputs, int seed = 1, int maxElementsPerInput = int.MaxValue, float tolerance = 2e-2f)
    {
        var rng = new Random(seed);
        Tensor probe = f(new Tape());
        float[] r = [.. Enumerable.Range(0, probe.Length).Select(_ => (float)(rng.NextDouble() * 2 - 1))];

        foreach (Tensor input in inputs)
        {
            input.ZeroGrad();
        }

        var tape = new Tape(2);
        Tensor y = f(tape);
        r.CopyTo(y.Grad, 0);
        tape.Backward();

        for (int n = 0; n < inputs.Count; n++)
        {
            Tensor input = inputs[n];
            float[] analytic = [.. input.Grad];
            IEnumerable<int> indices = input.Length <= maxElementsPerInput
                ? Enumerable.Range(0, input.Length)
                : Enumerable.Range(0, maxElementsPerInput).Select(_ => rng.Next(input.Length));
            foreach (int i in indices)
            {
                float saved = input.Data[i];
                input.Data[i] = saved + Eps;
                double plus = Loss(f, r);
                input.Data[i] = saved - Eps;
                double minus = Loss(f, r);
                input.Data[i] = saved;
                double numeric = (plus - minus) / (2 * Eps);
                double scale = Math.Max(1.0, Math.Abs(numeric));
                Assert.True(Math.Abs(analytic[i] - numeric) <= tolerance * scale,
                    $"input {n} element {i}: analytic {analytic[i]}, numeric {numeric}");
            }
        }
    }

    private static double Loss(Func<Tape, Tensor> f, float[] r)
    {
        Tensor y = f(new Tape());
        double sum = 0;
        for (int i = 0; i < r.Length; i++)
        {
            sum += (double)r[i] * y.Data[i];
        }

        return sum;
    }

    public static Tensor Random(int rows, int cols, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var t = new Tensor(rows, cols);
        for (int i = 0; i < t.Length; i++)
        {
            t.Data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        }

        return t;
    }
}
