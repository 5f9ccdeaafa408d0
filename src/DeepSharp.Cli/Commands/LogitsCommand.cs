using DeepSharp.Models;

namespace DeepSharp.Cli.Commands;

/// <summary>
/// <c>deepsharp logits --model FILE --ids "1 2 3" --out FILE.f32</c>: decodes the ids as one batch and writes the
/// last position's logits as little-endian float32, n_vocab values.
/// </summary>
internal static class LogitsCommand
{
    public static int Run(string[] args, TextWriter stdout)
    {
        var a = CliArgs.Parse("logits", args, ["model", "ids", "out", "threads", "ctx", "kv-type"], []);
        string path = a.RequireExistingFile("model");
        int[] ids = CliArgs.ParseIds("logits", a.Require("ids"));
        string outPath = a.Require("out");

        using var model = Model.Load(path, ModelArgs.Load(a));
        GenerateCommand.CheckIds(ids, model.VocabSize);
        if (ids.Length > model.ContextSize)
            throw new CliException($"logits: {ids.Length} ids do not fit in the context ({model.ContextSize}); raise --ctx");
        using var session = model.CreateSession();
        ReadOnlySpan<float> logits = session.Prefill(ids);

        byte[] bytes = new byte[logits.Length * sizeof(float)];
        for (int i = 0; i < logits.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), logits[i]);
        File.WriteAllBytes(outPath, bytes);
        stdout.WriteLine($"wrote {logits.Length} logits to {outPath}");
        return 0;
    }
}
