using System.Globalization;
using System.Security.Cryptography;

namespace DeepSharp.Sampling;

/// <summary>
/// Sampling settings. The defaults are DeepSeek-R1's model-card recommendation (temperature 0.6, top-p 0.95,
/// everything else off). Precedence when building the options for a run: these defaults, then the model file's
/// <c>general.sampling.*</c> keys (<see cref="WithModelDefaults"/>), then what the user asked for (<c>with { … }</c>).
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Softmax temperature; 0 means greedy (first argmax).</summary>
    public float Temperature { get; init; } = 0.6f;

    /// <summary>Keep the k most likely tokens; 0 = off.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus cut-off; 1 = off.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Drop tokens below MinP × the top probability; 0 = off.</summary>
    public float MinP { get; init; }

    /// <summary>Repetition penalty over the last <see cref="PenaltyLastN"/> tokens (llama.cpp semantics); 1 = off.</summary>
    public float RepeatPenalty { get; init; } = 1f;

    /// <summary>Subtracted once from the logit of every token present in the window; 0 = off.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Subtracted per occurrence in the window; 0 = off.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>How many recent tokens the penalties look at (llama.cpp default 64); 0 = off.</summary>
    public int PenaltyLastN { get; init; } = 64;

    /// <summary>RNG seed; null picks a fresh one (see <see cref="SamplerChainBuild.Seed"/> to reproduce the run).</summary>
    public ulong? Seed { get; init; }

    /// <summary>The R1 model-card settings.</summary>
    public static SamplingOptions R1Defaults { get; } = new();

    /// <summary>Deterministic argmax decoding.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0f, TopP = 1f };

    /// <summary>GGUF keys (llama.cpp <c>general.sampling.*</c>) this type understands, with the property each sets.</summary>
    public static IReadOnlyList<string> ModelKeys { get; } =
    [
        "general.sampling.temp", "general.sampling.top_k", "general.sampling.top_p", "general.sampling.min_p",
        "general.sampling.penalty_repeat", "general.sampling.penalty_last_n",
        "general.sampling.penalty_present", "general.sampling.penalty_freq",
    ];

    /// <summary>
    /// Returns these options with every value the model file declares replaced. <paramref name="values"/> maps GGUF
    /// keys (<c>general.sampling.temp</c>, <c>.top_k</c>, <c>.top_p</c>, <c>.min_p</c>, <c>.penalty_repeat</c>,
    /// <c>.penalty_last_n</c>, and the non-standard <c>.penalty_present</c>/<c>.penalty_freq</c>) to boxed numbers
    /// of any numeric type. Other keys (sequence, mirostat, xtc) are ignored. A declared 0 is a real value.
    /// </summary>
    public SamplingOptions WithModelDefaults(IReadOnlyDictionary<string, object> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        SamplingOptions o = this;
        foreach ((string key, object raw) in values)
        {
            o = key switch
            {
                "general.sampling.temp" => o with { Temperature = ToFloat(key, raw) },
                "general.sampling.top_k" => o with { TopK = ToInt(key, raw) },
                "general.sampling.top_p" => o with { TopP = ToFloat(key, raw) },
                "general.sampling.min_p" => o with { MinP = ToFloat(key, raw) },
                "general.sampling.penalty_repeat" => o with { RepeatPenalty = ToFloat(key, raw) },
                "general.sampling.penalty_last_n" => o with { PenaltyLastN = ToInt(key, raw) },
                "general.sampling.penalty_present" => o with { PresencePenalty = ToFloat(key, raw) },
                "general.sampling.penalty_freq" => o with { FrequencyPenalty = ToFloat(key, raw) },
                _ => o,
            };
        }

        o.Validate();
        return o;
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid value.</summary>
    public void Validate()
    {
        Check(float.IsFinite(Temperature) && Temperature >= 0, nameof(Temperature), Temperature, "must be ≥ 0 (0 = greedy)");
        Check(TopK >= 0, nameof(TopK), TopK, "must be ≥ 0 (0 = off)");
        Check(TopP is >= 0f and <= 1f, nameof(TopP), TopP, "must be in [0, 1] (1 = off)");
        Check(MinP is >= 0f and <= 1f, nameof(MinP), MinP, "must be in [0, 1] (0 = off)");
        Check(float.IsFinite(RepeatPenalty) && RepeatPenalty > 0, nameof(RepeatPenalty), RepeatPenalty, "must be > 0 (1 = off)");
        Check(float.IsFinite(PresencePenalty), nameof(PresencePenalty), PresencePenalty, "must be finite");
        Check(float.IsFinite(FrequencyPenalty), nameof(FrequencyPenalty), FrequencyPenalty, "must be finite");
        Check(PenaltyLastN >= 0, nameof(PenaltyLastN), PenaltyLastN, "must be ≥ 0 (0 = off)");
    }

    /// <summary>
    /// Builds the chain in llama.cpp's default order: penalties → top-k → top-p → min-p → temperature → seeded draw.
    /// Temperature 0 short-circuits to penalties → greedy (the filters cannot change the argmax).
    /// </summary>
    public SamplerChainBuild CreateChain()
    {
        Validate();
        ulong seed = Seed ?? NewSeed();
        var penalties = new PenaltySampler(PenaltyLastN, RepeatPenalty, FrequencyPenalty, PresencePenalty);
        ISampler[] samplers = Temperature <= 0
            ? [penalties, new GreedySampler()]
            :
            [
                penalties, new TopKSampler(TopK), new TopPSampler(TopP), new MinPSampler(MinP),
                new TemperatureSampler(Temperature), new DistributionSampler(seed),
            ];
        return new SamplerChainBuild(new SamplerChain(samplers), seed);
    }

    /// <summary>A fresh seed from the OS's cryptographic generator (never an unseeded System.Random).</summary>
    public static ulong NewSeed()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    private static void Check(bool ok, string name, object value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, value, $"Sampling option {name} = {Convert.ToString(value, CultureInfo.InvariantCulture)} {rule}.");
        }
    }

    private static float ToFloat(string key, object raw) => raw switch
    {
        float f => f,
        double d => (float)d,
        sbyte or byte or short or ushort or int or uint or long or ulong => Convert.ToSingle(raw, CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"GGUF key '{key}' must be a number, got {raw?.GetType().Name ?? "null"}.", nameof(raw)),
    };

    private static int ToInt(string key, object raw) => raw switch
    {
        sbyte or byte or short or ushort or int or uint or long or ulong => checked(Convert.ToInt32(raw, CultureInfo.InvariantCulture)),
        float or double => throw new ArgumentException($"GGUF key '{key}' must be an integer, got {raw}.", nameof(raw)),
        _ => throw new ArgumentException($"GGUF key '{key}' must be an integer, got {raw?.GetType().Name ?? "null"}.", nameof(raw)),
    };
}

/// <summary>A built chain and the seed it actually uses (print it so a run can be repeated with --seed).</summary>
public sealed record SamplerChainBuild(SamplerChain Chain, ulong Seed);
