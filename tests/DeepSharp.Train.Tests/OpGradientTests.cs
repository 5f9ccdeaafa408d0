using DeepSharp.Kernels.Float;
using DeepSharp.Train.Autograd;

namespace DeepSharp.Train.Tests;

public class OpGradientTests
{
    private static readonly Segment[] TwoSequences = [new(0, 4), new(4, 3)];

    [Fact]
    public void Embedding_gradient_adds_into_the_rows_of_the_tokens_used()
    {
        Tensor table = GradCheck.Random(6, 5, 1);
        GradCheck.Check(t => Ops.Embedding(t, table, [3, 1, 3, 0]), [table]);
    }

    [Fact]
    public void Linear_with_and_without_bias_matches_finite_differences()
    {
        Tensor x = GradCheck.Random(5, 9, 2), w = GradCheck.Random(7, 9, 3), b = GradCheck.Random(1, 7, 4);
        GradCheck.Check(t => Ops.Linear(t, x, w, b), [x, w, b]);
        GradCheck.Check(t => Ops.Linear(t, x, w), [x, w]);
    }

    [Fact]
    public void Linear_forward_equals_the_plain_dot_products()
    {
        Tensor x = GradCheck.Random(3, 21, 5), w = GradCheck.Random(6, 21, 6), b = GradCheck.Random(1, 6, 7);
        Tensor y = Ops.Linear(new Tape(), x, w, b);
        for (int r = 0; r < 3; r++)
        {
            for (int o = 0; o < 6; o++)
            {
                double expected = b.Data[o];
                for (int i = 0; i < 21; i++)
                {
                    expected += (double)x.Data[r * 21 + i] * w.Data[o * 21 + i];
                }

                Assert.Equal(expected, y.Data[r * 6 + o], 4);
            }
        }
    }

    [Fact]
    public void Add_passes_the_gradient_to_both_inputs()
    {
        Tensor a = GradCheck.Random(3, 4, 8), b = GradCheck.Random(3, 4, 9);
        GradCheck.Check(t => Ops.Add(t, a, b), [a, b]);
    }

    [Fact]
    public void RmsNorm_gradient_of_input_and_weight()
    {
        Tensor x = GradCheck.Random(4, 8, 10), w = GradCheck.Random(1, 8, 11);
        GradCheck.Check(t => Ops.RmsNorm(t, x, w, 1e-6f), [x, w]);
    }

    [Fact]
    public void SwiGlu_gradient_of_gate_and_up()
    {
        Tensor gate = GradCheck.Random(3, 6, 12, 3f), up = GradCheck.Random(3, 6, 13);
        GradCheck.Check(t => Ops.SwiGlu(t, gate, up), [gate, up]);
    }

    [Fact]
    public void Neox_rope_gradient_is_the_inverse_rotation()
    {
        Tensor x = GradCheck.Random(7, 16, 14);
        var table = new RopeTable(new RopeConfig(RopeStyle.Neox, 8, 10000f));
        GradCheck.Check(t => Ops.Rope(t, x, 8, table, TwoSequences), [x]);
    }

    [Fact]
    public void Causal_gqa_attention_gradient_of_q_k_and_v()
    {
        Tensor q = GradCheck.Random(7, 16, 15), k = GradCheck.Random(7, 8, 16), v = GradCheck.Random(7, 8, 17);
        GradCheck.Check(t => Ops.Attention(t, q, k, v, nHead: 4, nHeadKv: 2, TwoSequences), [q, k, v]);
    }

    [Fact]
    public void Attention_is_causal_and_stays_inside_its_segment()
    {
        Tensor q = GradCheck.Random(7, 8, 18), k = GradCheck.Random(7, 8, 19), v = GradCheck.Random(7, 8, 20);
        Tensor before = Ops.Attention(new Tape(), q, k, v, 2, 2, TwoSequences);
        k.Data[6 * 8] += 5f;   // the last row of the second sequence
        v.Data[6 * 8 + 1] += 5f;
        Tensor after = Ops.Attention(new Tape(), q, k, v, 2, 2, TwoSequences);
        Assert.Equal(before.Data.AsSpan(0, 6 * 8).ToArray(), after.Data.AsSpan(0, 6 * 8).ToArray());
        Assert.NotEqual(before.Data[6 * 8 + 1], after.Data[6 * 8 + 1]);
    }

    [Fact]
    public void Token_log_probs_with_temperature_and_skipped_rows()
    {
        Tensor logits = GradCheck.Random(4, 7, 21, 2f);
        GradCheck.Check(t => Ops.TokenLogProbs(t, logits, [2, -1, 6, 0], 0.7f), [logits]);
    }

    [Fact]
    public void Token_log_probs_equal_a_hand_computed_log_softmax()
    {
        var logits = new Tensor(1, 3, [1f, 2f, 3f]);
        Tensor y = Ops.TokenLogProbs(new Tape(), logits, [2]);
        double expected = 3 - Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        Assert.Equal(expected, y.Data[0], 5);
    }
}
