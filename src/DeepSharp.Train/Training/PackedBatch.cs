using DeepSharp.Train.Autograd;

namespace DeepSharp.Train.Training;

/// <summary>A prompt and the completion the model should produce after it (token ids; the completion ends with EOS).</summary>
public sealed record Example(int[] Prompt, int[] Completion);

/// <summary>
/// Sequences packed back to back: row r holds input token Tokens[r]; Targets[r] is the token that should follow it
/// when that token belongs to a completion, else −1. Attention never crosses a <see cref="Segment"/>.
/// </summary>
public sealed class PackedBatch
{
    private PackedBatch(int[] tokens, int[] targets, Segment[] segments)
    {
        Tokens = tokens;
        Targets = targets;
        Segments = segments;
    }

    public int[] Tokens { get; }

    public int[] Targets { get; }

    public IReadOnlyList<Segment> Segments { get; }

    /// <summary>Rows with a target (completion tokens predicted).</summary>
    public int TargetCount => Targets.Count(t => t >= 0);

    /// <summary>Segment index of every row.</summary>
    public int SegmentOf(int row)
    {
        for (int s = 0; s < Segments.Count; s++)
        {
            if (row < Segments[s].Start + Segments[s].Length)
            {
                return s;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(row));
    }

    public static PackedBatch Pack(IReadOnlyList<Example> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var tokens = new List<int>();
        var targets = new List<int>();
        var segments = new Segment[examples.Count];
        for (int e = 0; e < examples.Count; e++)
        {
            Example ex = examples[e];
            if (ex.Prompt.Length == 0 || ex.Completion.Length == 0)
            {
                throw new ArgumentException($"Example {e} needs a non-empty prompt and completion.", nameof(examples));
            }

            int[] seq = [.. ex.Prompt, .. ex.Completion];
            segments[e] = new Segment(tokens.Count, seq.Length - 1);
            for (int i = 0; i + 1 < seq.Length; i++)
            {
                tokens.Add(seq[i]);
                targets.Add(i + 1 >= ex.Prompt.Length ? seq[i + 1] : -1);
            }
        }

        return new PackedBatch([.. tokens], [.. targets], segments);
    }
}
