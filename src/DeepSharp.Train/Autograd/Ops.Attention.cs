using DeepSharp.Kernels.Float;

namespace DeepSharp.Train.Autograd;

/// <summary>One sequence of a packed batch: rows [Start, Start + Length), positions 0 … Length − 1.</summary>
public readonly record struct Segment(int Start, int Length);

/// <summary>cos/sin of every position's rotary angles (the engine's <see cref="Rope.Angles"/>), grown on demand.</summary>
public sealed class RopeTable
{
    private float[] _cos = [], _sin = [];
    private int _positions;

    public RopeTable(RopeConfig config)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
    }

    public RopeConfig Config { get; }

    public int Half => Config.NRot / 2;

    public ReadOnlySpan<float> Cos(int pos) => _cos.AsSpan(pos * Half, Half);

    public ReadOnlySpan<float> Sin(int pos) => _sin.AsSpan(pos * Half, Half);

    internal void EnsurePositions(int count)
    {
        if (count <= _positions)
        {
            return;
        }

        int half = Half;
        var cos = new float[count * half];
        var sin = new float[count * half];
        for (int p = 0; p < count; p++)
        {
            Rope.Angles(Config, p, cos.AsSpan(p * half, half), sin.AsSpan(p * half, half));
        }

        (_cos, _sin, _positions) = (cos, sin, count);
    }
}

public static partial class Ops
{
    /// <summary>Rotates every head of every row of x [n, heads·headDim] by its position's angles.</summary>
    public static Tensor Rope(Tape tape, Tensor x, int headDim, RopeTable table, IReadOnlyList<Segment> segments)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(segments);
        table.EnsurePositions(segments.Count == 0 ? 0 : segments.Max(s => s.Length));
        var y = new Tensor(x.Rows, x.Cols, [.. x.Data]);
        RotateAll(tape, y.Data, x.Cols, headDim, table, segments, inverse: false);
        tape.Record(() =>
        {
            if (y.HasGrad)
            {
                float[] back = [.. y.Grad];
                RotateAll(tape, back, x.Cols, headDim, table, segments, inverse: true);   // a rotation's transpose is its inverse
                FloatKernels.Add(back, x.Grad);
            }
        });
        return y;
    }

    private static void RotateAll(Tape tape, float[] data, int cols, int headDim, RopeTable table, IReadOnlyList<Segment> segments, bool inverse)
    {
        RopeStyle style = table.Config.Style;
        tape.For(segments.Count, s =>
        {
            Segment seg = segments[s];
            float[] negSin = new float[table.Half];
            for (int p = 0; p < seg.Length; p++)
            {
                ReadOnlySpan<float> sin = table.Sin(p);
                if (inverse)
                {
                    for (int i = 0; i < sin.Length; i++)
                    {
                        negSin[i] = -sin[i];
                    }

                    sin = negSin;
                }

                Span<float> row = data.AsSpan((seg.Start + p) * cols, cols);
                for (int h = 0; h + headDim <= cols; h += headDim)
                {
                    Kernels.Float.Rope.Rotate(row.Slice(h, headDim), table.Cos(p), sin, style);
                }
            }
        });
    }

    /// <summary>
    /// Causal grouped-query attention inside each segment: q [n, nHead·hd], k, v [n, nHeadKv·hd] → [n, nHead·hd];
    /// query head h reads KV head h / (nHead / nHeadKv), scores scaled by 1/√hd.
    /// </summary>
    public static Tensor Attention(Tape tape, Tensor q, Tensor k, Tensor v, int nHead, int nHeadKv, IReadOnlyList<Segment> segments)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(segments);
        var att = new CausalAttention(q, k, v, nHead, nHeadKv, segments);
        var y = new Tensor(q.Rows, q.Cols);
        tape.For(segments.Count * nHeadKv, task => att.Forward(task / nHeadKv, task % nHeadKv, y));
        tape.Record(() =>
        {
            if (y.HasGrad)
            {
                _ = (q.Grad, k.Grad, v.Grad);   // allocate before the tasks share them
                tape.For(segments.Count * nHeadKv, task => att.Backward(task / nHeadKv, task % nHeadKv, y.Grad));
            }
        });
        return y;
    }
}
