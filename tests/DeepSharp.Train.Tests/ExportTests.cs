using DeepSharp.Kernels.Attention;
using DeepSharp.Models;
using DeepSharp.Oracle;
using DeepSharp.Train.Autograd;
using DeepSharp.Train.Data;
using DeepSharp.Train.Export;
using DeepSharp.Train.Modeling;

namespace DeepSharp.Train.Tests;

/// <summary>One model definition: the trainer, the engine and llama.cpp compute the same logits from the exported file.</summary>
public sealed class ExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("train-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The "ci" shape with weights spread wider than the initialisation, so logits differ clearly per token.</summary>
    internal static TransformerModel SpreadModel(int seed)
    {
        TransformerModel model = TransformerModel.Create(ModelConfig.Preset("ci"), seed);
        var rng = new Random(seed);
        foreach (Parameter p in model.Parameters)
        {
            for (int i = 0; i < p.Value.Length; i++)
            {
                p.Value.Data[i] += (float)(rng.NextDouble() - 0.5) * 0.3f;
            }
        }

        return model;
    }

    private static float[] TrainerLogits(TransformerModel model, int[] ids)
    {
        Tensor logits = model.Forward(new Tape(2), ids, [new Segment(0, ids.Length)]);
        return logits.Data;
    }

    private static int[] PromptIds(TransformerModel model) =>
        ChatFormat.For(model.Config).EncodePrompt("What is 12 + 345?");

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = 1f;
        foreach (float e in expected)
        {
            scale = MathF.Max(scale, MathF.Abs(e));
        }

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= relative * scale, $"{what}: logit {i} trainer {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void The_engine_gives_the_trainers_logits_at_every_position()
    {
        TransformerModel model = SpreadModel(11);
        string path = Path.Combine(_dir, "m.gguf");
        ModelFile.Write(model, path, ModelFile.Metadata(model.Config, "test model"));
        int[] ids = PromptIds(model);
        float[] expected = TrainerLogits(model, ids);
        int v = model.Config.VocabSize;

        using Model engine = Model.Load(path, new LoadOptions { Threads = 2, KvType = KvType.F32, ContextSize = 64 });
        using Session session = engine.CreateSession();
        for (int p = 0; p < ids.Length; p++)
        {
            AssertClose(expected.AsSpan(p * v, v), session.Decode(ids[p]), 1e-4f, $"position {p}");
        }
    }

    [Fact]
    public void Llama_cpp_loads_the_export_and_gives_the_trainers_logits()
    {
        TransformerModel model = SpreadModel(12);
        string path = Path.Combine(_dir, "m.gguf");
        ModelFile.Write(model, path, ModelFile.Metadata(model.Config, "test model"));
        int[] ids = PromptIds(model);
        float[] expected = TrainerLogits(model, ids);
        int v = model.Config.VocabSize;

        using LlamaOracle oracle = LlamaOracle.Load(path, ctx: 64);
        Assert.Equal(v, oracle.VocabSize);
        AssertClose(expected.AsSpan((ids.Length - 1) * v, v), oracle.LastLogits(ids), 2e-3f, "llama.cpp");
    }

    [Fact]
    public void Llama_cpp_tokenizes_prompts_and_answers_as_the_trainer_does()
    {
        ModelConfig config = ModelConfig.Preset("ci");
        string path = Path.Combine(_dir, "m.gguf");
        ModelFile.Write(TransformerModel.Create(config, 1), path, ModelFile.Metadata(config, "test model", TaskVocabulary.MergeText));
        ChatFormat format = ChatFormat.For(config, TaskVocabulary.MergeText);
        using LlamaOracle oracle = LlamaOracle.LoadVocabOnly(path);

        string question = "Compute 907 * 38 - 12.";
        Assert.Equal(oracle.Tokenize(format.RenderPrompt(question), addBos: false, special: true), format.EncodePrompt(question));
        string response = "<think>\n7 * 8 + 5 = 61, write 1 carry 6\n907 * 38 = 34466\n34466 - 12 = 34454\n</think>\n\n34454";
        int[] completion = format.EncodeCompletion(question, response);
        Assert.Equal(format.Eos, completion[^1]);
        Assert.Equal(oracle.Tokenize(response["<think>\n".Length..], addBos: false, special: true), completion[..^1]);
        Assert.Contains("<｜Assistant｜><think>\n", format.RenderPrompt(question), StringComparison.Ordinal);
        Assert.True(completion.Count(id => format.Tokenizer.TokenText(id).All(char.IsAsciiDigit)) >= 20, "digits are single tokens");
        Assert.Contains(completion, id => format.Tokenizer.TokenText(id) == "Ġcarry");   // a merge learned from the task traces
    }

    [Fact]
    public void Reading_an_export_gives_back_the_same_weights_and_f16_rounds_them()
    {
        TransformerModel model = SpreadModel(13);
        string f32 = Path.Combine(_dir, "a.gguf"), f16 = Path.Combine(_dir, "b.gguf");
        ModelFile.Write(model, f32, ModelFile.Metadata(model.Config, "a"));
        ModelFile.Write(model, f16, ModelFile.Metadata(model.Config, "b", f16: true), f16: true);
        TransformerModel back = ModelFile.Read(f32), half = ModelFile.Read(f16);
        Assert.Equal(model.Config, back.Config);
        for (int i = 0; i < model.Parameters.Count; i++)
        {
            float[] w = model.Parameters[i].Value.Data;
            Assert.Equal(w, back.Parameters[i].Value.Data);
            float[] expected = model.Parameters[i].Value.Rows > 1 ? [.. w.Select(x => (float)(Half)x)] : w;   // vectors stay F32
            Assert.Equal(expected, half.Parameters[i].Value.Data);
        }
    }
}
