using DeepSharp.Kernels.Float;
using DeepSharp.Train.Autograd;

namespace DeepSharp.Train.Modeling;

/// <summary>A named trainable tensor and its GGUF dims (ne0 first: the row length).</summary>
public sealed record Parameter(string Name, Tensor Value)
{
    public long[] GgufDims => Value.Rows == 1 ? [Value.Cols] : [Value.Cols, Value.Rows];
}

/// <summary>
/// The qwen2 decoder of spec §A.3, trainable: x = embd[token]; per layer x += Wo·attn(rope(Wq·h+bq), rope(Wk·h+bk),
/// Wv·h+bv) with h = rmsnorm(x), then x += Wdown·(silu(Wgate·h) ⊙ Wup·h); logits = Wout·rmsnorm(x). Parameters are
/// named and laid out exactly as in the GGUF file, so export is a copy.
/// </summary>
public sealed class TransformerModel
{
    private readonly Dictionary<string, Tensor> _byName;
    private readonly RopeTable _rope;

    public TransformerModel(ModelConfig config, IReadOnlyList<Parameter> parameters)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _byName = parameters.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        _rope = new RopeTable(new RopeConfig(RopeStyle.Neox, config.HeadDim, config.RopeBase));
    }

    public ModelConfig Config { get; }

    /// <summary>In GGUF tensor order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    public long ParameterCount => Parameters.Sum(p => (long)p.Value.Length);

    /// <summary>Fresh weights: matrices N(0, 0.02) (residual outputs scaled by 1/√(2·layers)), norms 1, biases 0.</summary>
    public static TransformerModel Create(ModelConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        var rng = new Random(seed);
        float residualStd = 0.02f / MathF.Sqrt(2 * config.Layers);
        var list = new List<Parameter>();
        foreach ((string name, int rows, int cols, float std) in Layout(config, residualStd))
        {
            var t = new Tensor(rows, cols);
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                Array.Fill(t.Data, 1f);
            }
            else if (std > 0)
            {
                FillNormal(t.Data, std, rng);
            }

            list.Add(new Parameter(name, t));
        }

        return new TransformerModel(config, list);
    }

    /// <summary>Every tensor: GGUF name, rows, row length, initial σ (0 = not random).</summary>
    public static IEnumerable<(string Name, int Rows, int Cols, float Std)> Layout(ModelConfig c, float residualStd = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(c);
        int q = c.Heads * c.HeadDim, kv = c.KvHeads * c.HeadDim;
        yield return ("token_embd.weight", c.VocabSize, c.Dim, 0.02f);
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"blk.{l}.";
            yield return (p + "attn_norm.weight", 1, c.Dim, 0);
            yield return (p + "attn_q.weight", q, c.Dim, 0.02f);
            yield return (p + "attn_q.bias", 1, q, 0);
            yield return (p + "attn_k.weight", kv, c.Dim, 0.02f);
            yield return (p + "attn_k.bias", 1, kv, 0);
            yield return (p + "attn_v.weight", kv, c.Dim, 0.02f);
            yield return (p + "attn_v.bias", 1, kv, 0);
            yield return (p + "attn_output.weight", c.Dim, q, residualStd);
            yield return (p + "ffn_norm.weight", 1, c.Dim, 0);
            yield return (p + "ffn_gate.weight", c.FfnDim, c.Dim, 0.02f);
            yield return (p + "ffn_up.weight", c.FfnDim, c.Dim, 0.02f);
            yield return (p + "ffn_down.weight", c.Dim, c.FfnDim, residualStd);
        }

        yield return ("output_norm.weight", 1, c.Dim, 0);
        yield return ("output.weight", c.VocabSize, c.Dim, 0.02f);
    }

    public Tensor this[string name] => _byName[name];

    /// <summary>logits [Σ lengths, vocab] of a packed batch: tokens of every segment, back to back.</summary>
    public Tensor Forward(Tape tape, int[] tokens, IReadOnlyList<Segment> segments)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(tokens);
        ModelConfig c = Config;
        Tensor x = Ops.Embedding(tape, this["token_embd.weight"], tokens);
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"blk.{l}.";
            Tensor h = Ops.RmsNorm(tape, x, this[p + "attn_norm.weight"], c.RmsEps);
            Tensor q = Ops.Rope(tape, Ops.Linear(tape, h, this[p + "attn_q.weight"], this[p + "attn_q.bias"]), c.HeadDim, _rope, segments);
            Tensor k = Ops.Rope(tape, Ops.Linear(tape, h, this[p + "attn_k.weight"], this[p + "attn_k.bias"]), c.HeadDim, _rope, segments);
            Tensor v = Ops.Linear(tape, h, this[p + "attn_v.weight"], this[p + "attn_v.bias"]);
            Tensor att = Ops.Attention(tape, q, k, v, c.Heads, c.KvHeads, segments);
            x = Ops.Add(tape, x, Ops.Linear(tape, att, this[p + "attn_output.weight"]));
            h = Ops.RmsNorm(tape, x, this[p + "ffn_norm.weight"], c.RmsEps);
            Tensor gated = Ops.SwiGlu(tape, Ops.Linear(tape, h, this[p + "ffn_gate.weight"]), Ops.Linear(tape, h, this[p + "ffn_up.weight"]));
            x = Ops.Add(tape, x, Ops.Linear(tape, gated, this[p + "ffn_down.weight"]));
        }

        Tensor final = Ops.RmsNorm(tape, x, this["output_norm.weight"], c.RmsEps);
        return Ops.Linear(tape, final, this["output.weight"]);
    }

    /// <summary>A deep copy (the frozen reference policy of GRPO).</summary>
    public TransformerModel Clone() =>
        new(Config, [.. Parameters.Select(p => new Parameter(p.Name, new Tensor(p.Value.Rows, p.Value.Cols, [.. p.Value.Data])))]);

    public void ZeroGrad()
    {
        foreach (Parameter p in Parameters)
        {
            p.Value.ZeroGrad();
        }
    }

    private static void FillNormal(float[] data, float std, Random rng)
    {
        for (int i = 0; i < data.Length; i++)
        {
            // Box–Muller; 1 − u keeps the logarithm finite.
            double u = 1.0 - rng.NextDouble(), v = rng.NextDouble();
            data[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
    }
}
