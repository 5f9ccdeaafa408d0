using DeepSharp.Core.Quant;
using DeepSharp.Gguf;

namespace DeepSharp.Synth;

/// <summary>
/// Writes a seeded random-weight GGUF in a real model's exact shape (metadata, vocabulary with the real special
/// tokens, chat template, tensor names, dims and per-tensor quantization types), so the engine and llama.cpp can
/// run "the model" where real weights cannot be downloaded. Same options → same bytes.
/// </summary>
public static class SynthModel
{
    /// <summary>σ of the random matrices: large enough that every layer moves the logits (LLAMACPP-ORACLE.md).</summary>
    public const float DefaultWeightStd = 0.02f;

    private const int ChunkBytes = 8 << 20;   // rows are generated and quantized in parallel a chunk at a time

    /// <summary>The file's metadata and tensor directory without writing anything.</summary>
    public static SynthPlan Plan(SynthOptions options) => SynthPlanner.Build(options);

    /// <summary>Writes the model to <paramref name="path"/> (through a temporary file, so a failure leaves no partial model).</summary>
    public static SynthPlan Write(SynthOptions options, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        SynthPlan plan = Plan(options);
        string temp = path + ".partial";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Write(plan, options, stream);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        return plan;
    }

    /// <summary>Writes the model to a stream (left open).</summary>
    public static void Write(SynthPlan plan, SynthOptions options, Stream output)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        var writer = new GgufWriter(output);
        foreach ((string key, GgufValue value) in plan.Metadata)
        {
            writer.Add(key, value);
        }

        foreach (SynthTensor t in plan.Tensors)
        {
            writer.AddTensorInfo(t.Name, t.Type, [.. t.Dims]);
        }

        writer.WriteHeader();
        var pools = new Dictionary<QuantType, BlockPool>();
        for (int i = 0; i < plan.Tensors.Count; i++)
        {
            SynthTensor t = plan.Tensors[i];
            BlockPool? pool = null;
            if (BlockPool.Applies(t) && !pools.TryGetValue(t.Type, out pool))
            {
                pool = BlockPool.Create(t.Type, options.Seed, options.WeightStd, options.Threads);
                pools[t.Type] = pool;
            }

            WriteTensor(writer, plan, i, options, pool);
        }

        writer.Finish();
    }

    private static void WriteTensor(GgufWriter writer, SynthPlan plan, int index, SynthOptions options, BlockPool? pool)
    {
        SynthTensor t = plan.Tensors[index];
        if (t.Kind == WeightKind.RopeFactors)
        {
            SynthShape s = plan.Shape;
            float[] factors = WeightGenerator.Llama3RopeFactors(s.RopeScaling!, s.HeadDim, s.RopeFreqBase);
            writer.WriteTensorData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(factors.AsSpan()));
            return;
        }

        int rowLength = checked((int)t.RowLength);
        int rowBytes = checked((int)QuantTypeInfo.Get(t.Type).RowBytes(rowLength));
        int rowsPerChunk = Math.Max(1, ChunkBytes / rowBytes);
        byte[] chunk = new byte[checked(rowBytes * (int)Math.Min(rowsPerChunk, t.RowCount))];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads };
        for (long first = 0; first < t.RowCount; first += rowsPerChunk)
        {
            int rows = (int)Math.Min(rowsPerChunk, t.RowCount - first);
            long chunkFirst = first;
            if (pool is not null)
            {
                for (int r = 0; r < rows; r++)
                {
                    pool.FillRow(WeightGenerator.RowSeed(options.Seed, index, chunkFirst + r), chunk.AsSpan(r * rowBytes, rowBytes));
                }
            }
            else
            {
                Parallel.For(0, rows, parallel, () => new float[rowLength], (r, _, scratch) =>
                {
                    WeightGenerator.FillRow(t, index, chunkFirst + r, options.Seed, options.WeightStd, scratch);
                    Quantize.Row(t.Type, scratch, chunk.AsSpan(r * rowBytes, rowBytes));
                    return scratch;
                }, _ => { });
            }

            writer.WriteTensorData(chunk.AsSpan(0, rows * rowBytes));
        }
    }
}
