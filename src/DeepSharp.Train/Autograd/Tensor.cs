namespace DeepSharp.Train.Autograd;

/// <summary>
/// A row-major float matrix [Rows, Cols] with an optional gradient of the same shape. Parameters keep their gradient
/// between backward passes (the optimizer clears it); activations get one when a backward pass reaches them.
/// </summary>
public sealed class Tensor
{
    private float[]? _grad;

    public Tensor(int rows, int cols, float[]? data = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        Rows = rows;
        Cols = cols;
        Data = data ?? new float[checked(rows * cols)];
        if (Data.Length != rows * cols)
        {
            throw new ArgumentException($"{Data.Length} values do not fill a [{rows}, {cols}] tensor.", nameof(data));
        }
    }

    public int Rows { get; }

    public int Cols { get; }

    public int Length => Data.Length;

    public float[] Data { get; }

    /// <summary>∂loss/∂Data, allocated (zeroed) on first use.</summary>
    public float[] Grad => _grad ??= new float[Data.Length];

    public bool HasGrad => _grad is not null;

    public Span<float> Row(int r) => Data.AsSpan(r * Cols, Cols);

    public Span<float> GradRow(int r) => Grad.AsSpan(r * Cols, Cols);

    public void ZeroGrad()
    {
        if (_grad is not null)
        {
            Array.Clear(_grad);
        }
    }
}

/// <summary>
/// Records the backward step of every op run through it; <see cref="Backward"/> replays them newest first. The caller
/// seeds the gradient of the output (e.g. ∂loss/∂log-prob per token) before calling it.
/// </summary>
public sealed class Tape
{
    private readonly List<Action> _steps = [];

    public Tape(int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
    }

    /// <summary>Threads the ops of this tape may use.</summary>
    public int Threads { get; }

    internal void Record(Action backward) => _steps.Add(backward);

    public void Backward()
    {
        for (int i = _steps.Count - 1; i >= 0; i--)
        {
            _steps[i]();
        }

        _steps.Clear();
    }

    /// <summary>Forgets the recorded steps (a forward pass whose gradient is not needed).</summary>
    public void Clear() => _steps.Clear();

    /// <summary>Runs body(i) for i in [0, count) on up to <see cref="Threads"/> threads; each i must write disjoint memory.</summary>
    internal void For(int count, Action<int> body)
    {
        if (Threads == 1 || count < 2)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Threads }, body);
    }
}
