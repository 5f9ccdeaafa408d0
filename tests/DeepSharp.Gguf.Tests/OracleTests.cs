using System.Globalization;
using DeepSharp.Oracle;

namespace DeepSharp.Gguf.Tests;

/// <summary>The oracle really runs llama.cpp here: it reproduces the greedy output recorded with llama.cpp's tools.</summary>
public class OracleTests
{
    private static readonly string StoriesDir = TestPaths.Corpus("models", "stories260K");

    private static int[] ReadIds(string fileName)
    {
        string text = File.ReadAllText(Path.Combine(StoriesDir, fileName));
        return text.Split([' ', '\n', '\r', '[', ']', ','], StringSplitOptions.RemoveEmptyEntries)
            .TakeWhile(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    }

    [Fact]
    public void Stories260K_greedy_reproduces_llama_simple_output()
    {
        int[] prompt = ReadIds("stories260K.llama-tokenize.prompt.ids.txt");
        using var oracle = LlamaOracle.Load(TestPaths.Stories260K, ctx: 128);

        Assert.Equal(512, oracle.VocabSize);
        // SentencePiece renders the first piece with its leading space; tokenizing adds that space back.
        Assert.Equal(prompt, oracle.Tokenize(oracle.Detokenize(prompt[1..]).TrimStart(), addBos: true, special: false));

        int[] generated = oracle.Greedy(prompt, 60);
        string expectedText = File.ReadAllText(Path.Combine(StoriesDir, "stories260K.llama-simple.prompt_n60.txt")).TrimEnd('\n');
        Assert.Equal(expectedText, "<s>" + oracle.Detokenize([.. prompt[1..], .. generated]));

        // llama2.c's run.c produced the same continuation from the same prompt (its file starts after BOS).
        int[] llama2c = ReadIds("expected_greedy_prompt_n64.ids.txt");
        int common = Math.Min(generated.Length, llama2c.Length - (prompt.Length - 1));
        Assert.Equal(llama2c.Skip(prompt.Length - 1).Take(common), generated.Take(common));
        Assert.True(common >= 50, $"only {common} tokens compared");
    }

    [Fact]
    public void LastLogits_is_independent_of_previous_calls()
    {
        using var oracle = LlamaOracle.Load(TestPaths.Stories260K, ctx: 64);
        float[] a = oracle.LastLogits([1, 403, 407]);
        oracle.LastLogits([1, 261, 378, 432, 383]);
        float[] b = oracle.LastLogits([1, 403, 407]);
        Assert.Equal(512, a.Length);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(LLama.Native.LLamaFtype.MOSTLY_F16)]
    [InlineData(LLama.Native.LLamaFtype.MOSTLY_Q4_K_M)]
    public void Quantize_writes_a_file_this_reader_and_llama_cpp_both_load(LLama.Native.LLamaFtype ftype)
    {
        string dst = Path.Combine(Path.GetTempPath(), $"stories-{ftype}-{Guid.NewGuid():N}.gguf");
        try
        {
            LlamaOracle.Quantize(TestPaths.Stories260K, dst, ftype);
            using (var f = GgufFile.Open(dst))
            {
                Assert.Equal(48, f.Tensors.Count);
                var types = f.Tensors.Where(t => t.Dims.Length == 2).Select(t => t.Type).ToHashSet();
                Assert.DoesNotContain(Core.Quant.QuantType.F32, types);
                foreach (var t in f.Tensors)
                    Assert.Equal(t.ByteLength, f.GetTensorBytes(t).Length);
                if (ftype == LLama.Native.LLamaFtype.MOSTLY_F16)
                {
                    using var original = GgufFile.Open(TestPaths.Stories260K);
                    var name = "blk.0.attn_q.weight";
                    var half = f.GetTensorSpan<Half>(f.GetTensorInfo(name));
                    var single = original.GetTensorSpan<float>(original.GetTensorInfo(name));
                    for (int i = 0; i < single.Length; i++)
                        Assert.Equal((Half)single[i], half[i]);
                }
            }
            using var oracle = LlamaOracle.Load(dst, ctx: 32);
            Assert.Equal(512, oracle.LastLogits([1, 403]).Length);
        }
        finally
        {
            File.Delete(dst);
        }
    }
}
