using DeepSharp.Kernels.Threading;

namespace DeepSharp.Kernels.Float;

/// <summary>
/// <see cref="FloatKernels.SwiGlu"/> over a batch of rows, the rows spread over the worker pool (at 512 prompt tokens
/// the gate is millions of values: on one thread it kept the other waiting). One instance per forward state.
/// </summary>
public sealed class SwiGluJob(WorkerPool pool) : IParallelJob
{
    private readonly WorkerPool _pool = pool ?? throw new ArgumentNullException(nameof(pool));
    private float[] _gate = [], _up = [];
    private int _width;
    private Quantized.MatMul? _quantizeFor;

    /// <summary>gate [rows, width] ← silu(gate) ⊙ up, row by row.</summary>
    public void Run(float[] gate, float[] up, int rows, int width) => Run(gate, up, rows, width, null);

    /// <summary>
    /// As <see cref="Run(float[], float[], int, int)"/>, and each row, once done, is quantized for the next product
    /// of <paramref name="quantizeFor"/> (after its <see cref="Quantized.MatMul.BeginActivations"/> on gate): the
    /// down projection's activations are then ready without a pass of their own on the calling thread.
    /// </summary>
    public void Run(float[] gate, float[] up, int rows, int width, Quantized.MatMul? quantizeFor)
    {
        (_gate, _up, _width, _quantizeFor) = (gate, up, width, quantizeFor);
        _pool.Run(this, rows);
        (_gate, _up, _quantizeFor) = ([], [], null);
    }

    public void Execute(int worker, int start, int limit)
    {
        for (int r = start; r < limit; r++)
            GgmlSilu.SwiGluRow(_gate.AsSpan(r * _width, _width), _up.AsSpan(r * _width, _width));
        _quantizeFor?.QuantizeActivationRows(start, limit);
    }
}
