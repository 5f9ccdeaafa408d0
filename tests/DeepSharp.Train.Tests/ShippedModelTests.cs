using DeepSharp.Oracle;
using DeepSharp.Train.Autograd;
using DeepSharp.Train.Export;
using DeepSharp.Train.Modeling;

namespace DeepSharp.Train.Tests;

/// <summary>The committed default model (docs/MODEL_CARD.md) is a sound qwen2 GGUF that the trainer, the engine and llama.cpp agree on.</summary>
public class ShippedModelTests
{
    private static string ShippedModel => Path.Combine(TestPaths.RepositoryRoot, "assets", "deepsharp-r1-tiny.gguf");

    [Fact]
    public void The_default_model_loads_everywhere_with_the_same_logits_and_its_card_shape()
    {
        TransformerModel model = ModelFile.Read(ShippedModel, out var metadata);
        Assert.Equal(ModelConfig.Preset("small"), model.Config);
        Assert.True(new FileInfo(ShippedModel).Length < 30 << 20);

        var format = new ChatFormat(metadata);
        int[] ids = format.EncodePrompt("What is 347 + 58?");
        float[] trainer = model.Forward(new Tape(2), ids, [new Segment(0, ids.Length)]).Data[^model.Config.VocabSize..];

        using LlamaOracle oracle = LlamaOracle.Load(ShippedModel, ctx: 64);
        Assert.Equal(oracle.Tokenize(format.RenderPrompt("What is 347 + 58?"), addBos: false, special: true), ids);
        float[] llama = oracle.LastLogits(ids);
        float scale = trainer.Max(MathF.Abs);
        for (int i = 0; i < trainer.Length; i++)
        {
            Assert.True(MathF.Abs(trainer[i] - llama[i]) <= 2e-3f * scale, $"logit {i}: trainer {trainer[i]}, llama.cpp {llama[i]}");
        }

        Assert.Equal(Array.IndexOf(trainer, trainer.Max()), Array.IndexOf(llama, llama.Max()));
    }
}
