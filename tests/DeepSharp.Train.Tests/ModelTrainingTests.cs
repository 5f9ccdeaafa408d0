using DeepSharp.Train.Autograd;
using DeepSharp.Train.Modeling;
using DeepSharp.Train.Optim;
using DeepSharp.Train.Training;

namespace DeepSharp.Train.Tests;

public class ModelTrainingTests
{
    internal static PackedBatch RandomBatch(int vocab, int seed, int sequences = 3, int length = 9)
    {
        var rng = new Random(seed);
        var examples = new List<Example>();
        for (int s = 0; s < sequences; s++)
        {
            int promptLength = 2 + rng.Next(3);
            examples.Add(new Example(
                [.. Enumerable.Range(0, promptLength).Select(_ => rng.Next(vocab))],
                [.. Enumerable.Range(0, length - promptLength + s).Select(_ => rng.Next(vocab))]));
        }

        return PackedBatch.Pack(examples);
    }

    [Fact]
    public void The_whole_model_passes_a_finite_difference_gradient_check()
    {
        ModelConfig config = ModelConfig.Preset("test");
        TransformerModel model = TransformerModel.Create(config, seed: 3);
        foreach (Parameter p in model.Parameters)
        {
            var rng = new Random(p.Name.Length);   // larger weights than the initialisation, so every path matters
            for (int i = 0; i < p.Value.Length; i++)
            {
                p.Value.Data[i] += (float)(rng.NextDouble() - 0.5) * 0.5f;
            }
        }

        PackedBatch batch = RandomBatch(config.VocabSize, seed: 4, sequences: 2, length: 5);
        GradCheck.Check(t => Ops.TokenLogProbs(t, model.Forward(t, batch.Tokens, batch.Segments), batch.Targets),
            [.. model.Parameters.Select(p => p.Value)], seed: 5, maxElementsPerInput: 6);
    }

    [Fact]
    public void Packing_puts_targets_only_on_completion_tokens()
    {
        PackedBatch b = PackedBatch.Pack([new Example([1, 2, 3], [4, 5]), new Example([6], [7])]);
        Assert.Equal([1, 2, 3, 4, 6], b.Tokens);
        Assert.Equal([-1, -1, 4, 5, 7], b.Targets);
        Assert.Equal([new Segment(0, 4), new Segment(4, 1)], b.Segments);
    }

    private static float[] TrainSteps(TransformerModel model, AdamW optimizer, int from, int to, int threads)
    {
        var schedule = new LrSchedule(3e-3f, WarmupSteps: 3, TotalSteps: 10);
        var losses = new List<float>();
        for (int step = from; step < to; step++)
        {
            PackedBatch batch = RandomBatch(model.Config.VocabSize, seed: 100 + (step % 2), sequences: 4, length: 12);
            losses.Add(SftStep.Run(model, optimizer, batch, schedule.At(step), clipNorm: 1f, threads).Loss);
        }

        return [.. losses];
    }

    // Golden values recorded from this implementation (as llm.c's expected losses): a change in any op, the
    // initialisation, AdamW or the schedule shows here. The two alternating batches are memorised, so loss falls.
    private static readonly float[] GoldenLosses =
    [
        6.228893f, 6.237839f, 6.052176f, 6.038336f, 5.801042f, 5.825639f, 5.598065f, 5.660502f, 5.4801254f, 5.580523f,
    ];

    [Fact]
    public void Ten_seeded_sft_steps_give_the_golden_losses_on_one_or_two_threads()
    {
        TransformerModel model = TransformerModel.Create(ModelConfig.Preset("ci"), seed: 7);
        float[] one = TrainSteps(model, new AdamW(model.Parameters), 0, 10, threads: 1);
        TransformerModel again = TransformerModel.Create(ModelConfig.Preset("ci"), seed: 7);
        float[] two = TrainSteps(again, new AdamW(again.Parameters), 0, 10, threads: 2);
        Assert.Equal(one, two);
        Assert.True(one[^1] < one[0] - 0.5f, $"loss {one[0]} → {one[^1]}");
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(GoldenLosses[i], one[i], 4);
        }
    }

    [Fact]
    public void A_run_resumed_from_a_checkpoint_continues_bit_for_bit()
    {
        TransformerModel straight = TransformerModel.Create(ModelConfig.Preset("ci"), seed: 9);
        float[] all = TrainSteps(straight, new AdamW(straight.Parameters), 0, 10, threads: 2);

        TransformerModel first = TransformerModel.Create(ModelConfig.Preset("ci"), seed: 9);
        var optimizer = new AdamW(first.Parameters);
        TrainSteps(first, optimizer, 0, 5, threads: 2);
        string path = Path.Combine(Path.GetTempPath(), $"ckpt-{Guid.NewGuid():N}.bin");
        try
        {
            Checkpoint.Save(path, first, optimizer, nextStep: 5);
            CheckpointData resumed = Checkpoint.Load(path);
            Assert.Equal(5, resumed.NextStep);
            float[] rest = TrainSteps(resumed.Model, resumed.Optimizer, 5, 10, threads: 2);
            Assert.Equal(all[5..], rest);
            for (int i = 0; i < straight.Parameters.Count; i++)
            {
                Assert.Equal(straight.Parameters[i].Value.Data, resumed.Model.Parameters[i].Value.Data);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Warmup_then_cosine_schedule_values()
    {
        var s = new LrSchedule(1f, WarmupSteps: 4, TotalSteps: 14, MinRatio: 0.1f);
        Assert.Equal(0.25f, s.At(0));
        Assert.Equal(1f, s.At(3));
        Assert.Equal(1f, s.At(4));
        Assert.Equal(0.55f, s.At(9), 5);   // halfway through the decay: 0.1 + 0.9·0.5
        Assert.Equal(0.1f, s.At(14), 5);
    }

    [Fact]
    public void Clipping_scales_the_global_norm_down_to_the_limit()
    {
        var p = new Parameter("w", new Tensor(1, 2));
        p.Value.Grad[0] = 3;
        p.Value.Grad[1] = 4;
        Assert.Equal(5f, GradClip.ClipGlobalNorm([p], 1f));
        Assert.Equal(0.6f, p.Value.Grad[0], 5);
        Assert.Equal(0.8f, p.Value.Grad[1], 5);
    }

    [Fact]
    public void AdamW_first_step_moves_each_weight_by_the_learning_rate()
    {
        var p = new Parameter("w", new Tensor(2, 1, [1f, -1f]));
        p.Value.Grad[0] = 0.5f;
        p.Value.Grad[1] = -2f;
        var adam = new AdamW([p], new AdamWOptions { WeightDecay = 0.1f });
        adam.Update(0.01f);
        // Bias-corrected first step: m̂/√v̂ = sign(g); decay 0.1·w.
        Assert.Equal(1f - 0.01f * (1f + 0.1f), p.Value.Data[0], 5);
        Assert.Equal(-1f + 0.01f * (1f + 0.1f), p.Value.Data[1], 5);
    }
}
