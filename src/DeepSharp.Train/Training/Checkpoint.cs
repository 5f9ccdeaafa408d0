using System.Runtime.InteropServices;
using System.Text.Json;
using DeepSharp.Train.Autograd;
using DeepSharp.Train.Modeling;
using DeepSharp.Train.Optim;

namespace DeepSharp.Train.Training;

/// <summary>Everything a run needs to continue exactly: weights, AdamW moments and step, the next step's index.</summary>
public sealed record CheckpointData(TransformerModel Model, AdamW Optimizer, int NextStep);

/// <summary>
/// Binary checkpoint: magic, the model configuration as JSON, the next step, AdamW's step, then for each parameter
/// its name and its values, first and second moments. Written through a temporary file, so a crash while saving
/// leaves the previous checkpoint intact. Batches are derived from (seed, step), so weights + moments + step resume
/// a run bit for bit.
/// </summary>
public static class Checkpoint
{
    private const string Magic = "DSCKPT01";

    public static void Save(string path, TransformerModel model, AdamW optimizer, int nextStep)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        string temp = path + ".partial";
        using (var w = new BinaryWriter(File.Create(temp)))
        {
            w.Write(Magic);
            w.Write(JsonSerializer.Serialize(model.Config));
            w.Write(nextStep);
            w.Write(optimizer.Step);
            w.Write(model.Parameters.Count);
            for (int i = 0; i < model.Parameters.Count; i++)
            {
                Parameter p = model.Parameters[i];
                w.Write(p.Name);
                w.Write(p.Value.Length);
                w.Write(MemoryMarshal.AsBytes(p.Value.Data.AsSpan()));
                w.Write(MemoryMarshal.AsBytes(optimizer.M[i].AsSpan()));
                w.Write(MemoryMarshal.AsBytes(optimizer.V[i].AsSpan()));
            }
        }

        File.Move(temp, path, overwrite: true);
    }

    public static CheckpointData Load(string path, AdamWOptions? options = null)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        if (r.ReadString() != Magic)
        {
            throw new InvalidDataException($"'{path}' is not a DeepSharp checkpoint.");
        }

        ModelConfig config = JsonSerializer.Deserialize<ModelConfig>(r.ReadString())
            ?? throw new InvalidDataException($"'{path}': no model configuration.");
        int nextStep = r.ReadInt32(), adamStep = r.ReadInt32(), count = r.ReadInt32();
        var parameters = new List<Parameter>();
        var moments = new List<(float[] M, float[] V)>();
        foreach ((string name, int rows, int cols, _) in TransformerModel.Layout(config))
        {
            if (parameters.Count == count || r.ReadString() != name || r.ReadInt32() != rows * cols)
            {
                throw new InvalidDataException($"'{path}': parameter {name} is missing or has another size.");
            }

            var t = new Tensor(rows, cols);
            ReadFloats(r, t.Data);
            float[] m = new float[t.Length], v = new float[t.Length];
            ReadFloats(r, m);
            ReadFloats(r, v);
            parameters.Add(new Parameter(name, t));
            moments.Add((m, v));
        }

        var model = new TransformerModel(config, parameters);
        var optimizer = new AdamW(model.Parameters, options) { Step = adamStep };
        for (int i = 0; i < moments.Count; i++)
        {
            moments[i].M.CopyTo(optimizer.M[i], 0);
            moments[i].V.CopyTo(optimizer.V[i], 0);
        }

        return new CheckpointData(model, optimizer, nextStep);
    }

    private static void ReadFloats(BinaryReader r, float[] into)
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(into.AsSpan());
        if (r.Read(bytes) != bytes.Length)
        {
            throw new InvalidDataException("The checkpoint is truncated.");
        }
    }
}
