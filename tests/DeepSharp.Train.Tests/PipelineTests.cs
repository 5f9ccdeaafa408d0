using System.Text.Json;
using DeepSharp.Train.Autograd;
using DeepSharp.Train.Export;
using DeepSharp.Train.Grpo;
using DeepSharp.Train.Modeling;
using DeepSharp.Train.Sft;

namespace DeepSharp.Train.Tests;

/// <summary>The CI miniature of the whole recipe: SFT, resume, GRPO with a KL term, export, load, evaluate.</summary>
public sealed class PipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("train-pipeline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string At(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Greedy_engine_rollouts_are_the_trainers_argmax_continuations()
    {
        TransformerModel model = ExportTests.SpreadModel(21);
        string path = At("m.gguf");
        ModelFile.Write(model, path, ModelFile.Metadata(model.Config, "m"));
        int[][] prompts = [[5, 9, 200], [7, 7]];
        List<int[]> completions = Rollouts.Generate(path, prompts, samplesEach: 2, temperature: 0, maxNewTokens: 6, eos: -1, new Random(1), threads: 2);
        Assert.Equal(4, completions.Count);
        for (int i = 0; i < 4; i++)
        {
            var ids = new List<int>(prompts[i / 2]);
            for (int t = 0; t < 6; t++)
            {
                Tensor logits = model.Forward(new Tape(), [.. ids], [new Segment(0, ids.Count)]);
                ReadOnlySpan<float> last = logits.Row(ids.Count - 1);
                ids.Add(Rollouts.Sample(last, 0, new Random(0)));
            }

            Assert.Equal(ids.Skip(prompts[i / 2].Length), completions[i]);
        }
    }

    [Fact]
    public void Sft_then_grpo_then_eval_on_a_tiny_config()
    {
        var sft = new SftOptions
        {
            Tasks = ["arithmetic", "countdown"], TeacherSamples = 16, Size = "ci", Steps = 5, StopAt = 3, BatchSize = 4,
            OutPath = At("sft.gguf"), CheckpointEvery = 2, Seed = 3,
        };
        var warnings = new List<string>();
        SftTrainer.Run(sft, TextWriter.Null, false, warnings.Add);
        Assert.False(File.Exists(At("sft.gguf")));

        // The run resumed from the checkpoint where it stopped repeats nothing: the log holds each step once.
        TransformerModel resumed = SftTrainer.Run(sft with { StopAt = null, Resume = true }, TextWriter.Null, false, warnings.Add);
        Assert.Contains(warnings, w => w.Contains("resuming", StringComparison.Ordinal) && w.Contains("step 3", StringComparison.Ordinal));
        Assert.Equal([0, 1, 2, 3, 4], Steps(At("sft.log.jsonl")));
        Assert.True(File.Exists(At("sft.png")));

        var grpo = new GrpoOptions
        {
            Task = "arithmetic", InitPath = At("sft.gguf"), OutPath = At("grpo.gguf"), GroupSize = 2, PromptsPerStep = 2,
            Steps = 2, MaxNewTokens = 12, Beta = 0.04f, Iterations = 2, Seed = 4,
        };
        TransformerModel policy = GrpoTrainer.Run(grpo, TextWriter.Null, false, warnings.Add);
        Assert.Equal([0, 1], Steps(At("grpo.log.jsonl")));
        Assert.Equal(resumed.Config, policy.Config);

        EvalResult r = TaskEvaluation.Run(At("grpo.gguf"), "arithmetic", limit: 3, maxNewTokens: 12, temperature: 0, seed: 1, threads: 2);
        Assert.Equal(3, r.N);
        Assert.InRange(r.Accuracy, 0, 1);
        Assert.True(r.CiLow <= r.Accuracy && r.Accuracy <= r.CiHigh);
        Assert.Equal(ModelFile.Read(At("grpo.gguf")).Parameters[3].Value.Data, policy.Parameters[3].Value.Data);
    }

    private static int[] Steps(string logPath) =>
        [.. File.ReadAllLines(logPath).Select(l => (int)JsonSerializer.Deserialize<Dictionary<string, double>>(l)!["step"])];

    [Fact]
    public void Wilson_interval_of_known_proportions()
    {
        (double low, double high) = TaskEvaluation.Wilson(95, 100);
        Assert.Equal(0.88825, low, 4);
        Assert.Equal(0.97846, high, 4);
        Assert.Equal((0.0, 1.0), TaskEvaluation.Wilson(0, 0));
    }
}
