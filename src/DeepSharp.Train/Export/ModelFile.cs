using DeepSharp.Core.Quant;
using DeepSharp.Gguf;
using DeepSharp.Synth;
using DeepSharp.Train.Autograd;
using DeepSharp.Train.Modeling;

namespace DeepSharp.Train.Export;

/// <summary>
/// Trained models as qwen2 GGUF files: the metadata, byte-level BPE vocabulary, R1 special tokens and chat template
/// come from Synth's planner for the same shape (vocabulary only), the tensors from the model. Matrices are F32 or
/// F16; norms and biases always F32 (as llama.cpp's converter writes them). Reading back accepts F32 and F16.
/// </summary>
public static class ModelFile
{
    public const string DefaultDescription = "A tiny reasoning model trained from scratch by DeepSharp (cold-start SFT, then GRPO).";

    /// <summary>
    /// The file's metadata for a model of this shape (no tensors); the BPE merges are learned from
    /// <paramref name="mergeText"/> (null: Synth's English sample).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata(ModelConfig config, string name, string? mergeText = null, bool f16 = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        SynthPlan plan = SynthModel.Plan(new SynthOptions
        {
            Shape = config.ToShape(name), VocabOnly = true, FileType = f16 ? "f16" : "f32", MergeText = mergeText,
        });
        return WithDescription(plan.Metadata, name, DefaultDescription);
    }

    /// <summary>The metadata with general.name and general.description replaced.</summary>
    public static IReadOnlyList<KeyValuePair<string, GgufValue>> WithDescription(IEnumerable<KeyValuePair<string, GgufValue>> metadata, string name, string description) =>
        [.. metadata.Select(kv => kv.Key switch
        {
            "general.name" => new(kv.Key, GgufValue.Of(name)),
            "general.description" => new(kv.Key, GgufValue.Of(description)),
            _ => kv,
        })];

    /// <summary>Writes the model with <paramref name="metadata"/> (from <see cref="Metadata"/> or the file it was read from).</summary>
    public static void Write(TransformerModel model, string path, IEnumerable<KeyValuePair<string, GgufValue>> metadata, bool f16 = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        metadata = [.. metadata.Select(kv => kv.Key == "general.file_type" ? new(kv.Key, GgufValue.Of(f16 ? 1u : 0u)) : kv)];
        string temp = path + ".partial";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var writer = new GgufWriter(stream);
                foreach ((string key, GgufValue value) in metadata)
                {
                    writer.Add(key, value);
                }

                foreach (Parameter p in model.Parameters)
                {
                    writer.AddTensorInfo(p.Name, TypeOf(p, f16), p.GgufDims);
                }

                writer.WriteHeader();
                foreach (Parameter p in model.Parameters)
                {
                    WriteTensor(writer, p, TypeOf(p, f16));
                }

                writer.Finish();
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static QuantType TypeOf(Parameter p, bool f16) => f16 && p.Value.Rows > 1 ? QuantType.F16 : QuantType.F32;

    private static void WriteTensor(GgufWriter writer, Parameter p, QuantType type)
    {
        if (type == QuantType.F32)
        {
            writer.WriteTensorData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.Value.Data.AsSpan()));
            return;
        }

        int cols = p.Value.Cols;
        byte[] row = new byte[QuantTypeInfo.Get(type).RowBytes(cols)];
        for (int r = 0; r < p.Value.Rows; r++)
        {
            Quantize.Row(type, p.Value.Row(r), row);
            writer.WriteTensorData(row);
        }
    }

    /// <summary>Reads a qwen2 model written by <see cref="Write"/> (or any qwen2 GGUF with F32/F16 tensors of this layout).</summary>
    public static TransformerModel Read(string path) => Read(path, out _);

    /// <summary>Reads the model and its metadata (vocabulary, template) for writing its successor.</summary>
    public static TransformerModel Read(string path, out GgufMetadata metadata)
    {
        using GgufFile file = GgufFile.Open(path);
        GgufMetadata md = file.Metadata;
        metadata = md;
        string arch = md.GetString("general.architecture");
        if (arch != "qwen2")
        {
            throw new InvalidDataException($"'{path}' is a {arch} model; training needs qwen2.");
        }

        int Int(string key) => checked((int)md.GetInt64($"qwen2.{key}"));
        var config = new ModelConfig
        {
            Dim = Int("embedding_length"), Layers = Int("block_count"), Heads = Int("attention.head_count"),
            KvHeads = Int("attention.head_count_kv"), FfnDim = Int("feed_forward_length"),
            VocabSize = checked((int)file.GetTensorInfo("token_embd.weight").Dims[1]), ContextLength = Int("context_length"),
            RopeBase = md.TryGetValue("qwen2.rope.freq_base", out GgufValue? b) ? Convert.ToSingle(b.Raw, System.Globalization.CultureInfo.InvariantCulture) : 10000f,
            RmsEps = md.TryGetValue("qwen2.attention.layer_norm_rms_epsilon", out GgufValue? e) ? Convert.ToSingle(e.Raw, System.Globalization.CultureInfo.InvariantCulture) : 1e-6f,
        };
        var parameters = new List<Parameter>();
        foreach ((string name, int rows, int cols, _) in TransformerModel.Layout(config))
        {
            GgufTensorInfo info = file.GetTensorInfo(name);
            if (info.ElementCount != (long)rows * cols || info.RowLength != cols)
            {
                throw new InvalidDataException($"'{path}': tensor {name} is [{string.Join(", ", info.Dims)}], expected [{cols}, {rows}].");
            }

            var t = new Tensor(rows, cols);
            for (int r = 0; r < rows; r++)
            {
                Dequantize.Row(info.Type, file.GetRowBytes(info, r), t.Row(r));
            }

            parameters.Add(new Parameter(name, t));
        }

        return new TransformerModel(config, parameters);
    }
}
