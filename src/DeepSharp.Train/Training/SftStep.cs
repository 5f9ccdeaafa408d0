using DeepSharp.Train.Autograd;
using DeepSharp.Train.Modeling;
using DeepSharp.Train.Optim;

namespace DeepSharp.Train.Training;

/// <summary>What one optimizer step measured.</summary>
public readonly record struct StepStats(float Loss, float GradNorm, float LearningRate, int Tokens);

/// <summary>Supervised fine-tuning: mean cross-entropy of the completion tokens, one AdamW update.</summary>
public static class SftStep
{
    public static StepStats Run(TransformerModel model, AdamW optimizer, PackedBatch batch, float lr, float clipNorm, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(batch);
        var tape = new Tape(threads);
        Tensor logProbs = Ops.TokenLogProbs(tape, model.Forward(tape, batch.Tokens, batch.Segments), batch.Targets);
        int count = batch.TargetCount;
        double sum = 0;
        for (int r = 0; r < batch.Targets.Length; r++)
        {
            if (batch.Targets[r] >= 0)
            {
                sum += logProbs.Data[r];
                logProbs.Grad[r] = -1f / count;
            }
        }

        tape.Backward();
        float norm = GradClip.ClipGlobalNorm(model.Parameters, clipNorm);
        optimizer.Update(lr);
        model.ZeroGrad();
        return new StepStats((float)(-sum / count), norm, lr, count);
    }
}
