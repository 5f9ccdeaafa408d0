using DeepSharp.Gguf;
using DeepSharp.Kernels.Quantized;

namespace DeepSharp.Models.Abstractions;

/// <summary>
/// Named, shape-checked access to a GGUF file's tensors. Shapes are given in GGUF order (ne0 = row length first),
/// so a linear layer y = W·x with x [nIn] and y [nOut] is <c>[nIn, nOut]</c>. Tensors stay memory-mapped.
/// </summary>
public sealed class WeightSource(GgufFile file)
{
    public GgufFile File { get; } = file ?? throw new ArgumentNullException(nameof(file));

    /// <summary>The tensor <paramref name="name"/> with dims exactly <paramref name="ne"/>; throws if missing or misshapen.</summary>
    public QTensor Get(string name, params long[] ne) =>
        GetOptional(name, ne) ?? throw new MissingTensorException(name, ne);

    /// <summary>Like <see cref="Get"/> but null when the tensor is absent (a wrong shape still throws).</summary>
    public QTensor? GetOptional(string name, params long[] ne)
    {
        ArgumentNullException.ThrowIfNull(ne);
        var info = File.FindTensor(name);
        if (info is null) return null;
        if (!SameShape(info.Dims, ne))
            throw new ModelFormatException(
                $"tensor '{name}' has shape [{string.Join(", ", info.Dims)}], expected [{string.Join(", ", ne)}] from the hyper-parameters");
        try
        {
            return QTensor.FromGguf(File, info);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"tensor '{name}' ({info.Type}) cannot be read: {e.Message}", e);
        }
    }

    /// <summary>A 1-D tensor of <paramref name="length"/> values as floats (norm weights, biases).</summary>
    public float[] GetVector(string name, long length) => Get(name, length).ToFloatArray();

    public float[]? GetOptionalVector(string name, long length) => GetOptional(name, length)?.ToFloatArray();

    /// <summary>n_vocab: the row count of <c>token_embd.weight</c> (its ne1).</summary>
    public int VocabFromEmbedding()
    {
        string name = TensorNames.Global(TensorNames.TokenEmbd);
        var info = File.FindTensor(name) ?? throw new MissingTensorException(name, [-1, -1]);
        if (info.Dims.Length < 2) throw new ModelFormatException($"tensor '{name}' must be 2-D, has shape [{string.Join(", ", info.Dims)}]");
        return checked((int)info.Dims[1]);
    }

    // Trailing dimensions of 1 are equivalent (GGUF writers may or may not store them).
    private static bool SameShape(long[] actual, long[] expected)
    {
        int n = Math.Max(actual.Length, expected.Length);
        for (int i = 0; i < n; i++)
            if ((i < actual.Length ? actual[i] : 1) != (i < expected.Length ? expected[i] : 1)) return false;
        return true;
    }
}
