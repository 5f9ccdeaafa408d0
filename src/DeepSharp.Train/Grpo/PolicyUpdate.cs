using DeepSharp.Train.Autograd;
using DeepSharp.Train.Modeling;
using DeepSharp.Train.Training;

namespace DeepSharp.Train.Grpo;

/// <summary>
/// The gradient of the GRPO loss over one batch of rollouts, in micro-batches: forward the policy (with gradient) and
/// the reference (values only, when β &gt; 0), seed each completion token's log-prob gradient with its weighted
/// ∂L/∂ℓ from <see cref="GrpoMath.Token"/>, and backpropagate. Sequences whose advantage is zero carry no gradient
/// without a KL term and are skipped. The old policy's log-probs are the first iteration's values.
/// </summary>
internal sealed class PolicyUpdate
{
    private readonly GrpoOptions _o;
    private readonly TransformerModel _policy;
    private readonly TransformerModel? _reference;
    private readonly List<Example> _examples;
    private readonly double[] _advantages;
    private readonly double[] _weights;
    private readonly int[] _active;
    private readonly Dictionary<int, float[]> _oldLogProbs = [];

    public PolicyUpdate(GrpoOptions o, TransformerModel policy, TransformerModel? reference, List<Example> examples, double[] advantages)
    {
        (_o, _policy, _reference, _examples, _advantages) = (o, policy, reference, examples, advantages);
        _weights = GrpoMath.SequenceWeights([.. examples.Select(e => e.Completion.Length)], o.Aggregation);
        _active = [.. Enumerable.Range(0, examples.Count).Where(i => reference is not null || advantages[i] != 0)];
    }

    /// <summary>Adds ∂loss/∂θ into the policy's gradients; returns the loss, mean KL and the fraction of clipped tokens.</summary>
    public (double Loss, double Kl, double ClipFraction) AccumulateGradients(int iteration)
    {
        double loss = 0, kl = 0;
        long tokens = 0, clipped = 0;
        for (int start = 0; start < _active.Length; start += _o.MicroBatch)
        {
            int[] chunk = _active[start..Math.Min(_active.Length, start + _o.MicroBatch)];
            PackedBatch batch = PackedBatch.Pack([.. chunk.Select(i => _examples[i])]);
            var tape = new Tape(_o.Threads);
            Tensor logProbs = Ops.TokenLogProbs(tape, _policy.Forward(tape, batch.Tokens, batch.Segments), batch.Targets, _o.Temperature);
            float[]? refLogProbs = ReferenceLogProbs(batch);
            for (int r = 0; r < batch.Targets.Length; r++)
            {
                if (batch.Targets[r] < 0)
                {
                    continue;
                }

                int seq = chunk[batch.SegmentOf(r)];
                float old = OldLogProb(seq, batch, r, logProbs.Data[r], iteration);
                TokenTerm t = GrpoMath.Token(logProbs.Data[r], old, refLogProbs?[r] ?? 0, _advantages[seq], _o.EpsilonLow, _o.EpsilonHigh, _o.Beta);
                logProbs.Grad[r] = (float)(_weights[seq] * t.Gradient);
                loss += _weights[seq] * t.Loss;
                kl += t.Kl;
                tokens++;
                clipped += t.Clipped ? 1 : 0;
            }

            tape.Backward();
        }

        return (loss, tokens == 0 ? 0 : kl / tokens, tokens == 0 ? 0 : (double)clipped / tokens);
    }

    private float[]? ReferenceLogProbs(PackedBatch batch)
    {
        if (_reference is null)
        {
            return null;
        }

        var tape = new Tape(_o.Threads);
        float[] values = Ops.TokenLogProbs(tape, _reference.Forward(tape, batch.Tokens, batch.Segments), batch.Targets, _o.Temperature).Data;
        tape.Clear();
        return values;
    }

    // Log-probs of the policy that sampled the batch: this iteration's values the first time, remembered after.
    private float OldLogProb(int seq, PackedBatch batch, int row, float current, int iteration)
    {
        int offset = row - batch.Segments[batch.SegmentOf(row)].Start;
        if (!_oldLogProbs.TryGetValue(seq, out float[]? old))
        {
            _oldLogProbs[seq] = old = new float[batch.Segments[batch.SegmentOf(row)].Length];
        }

        if (iteration == 0)
        {
            old[offset] = current;
        }

        return old[offset];
    }
}
