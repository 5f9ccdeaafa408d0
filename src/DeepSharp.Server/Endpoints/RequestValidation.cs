using System.Text.Json;
using DeepSharp.Sampling;
using DeepSharp.Server.Scheduling;

namespace DeepSharp.Server.Endpoints;

/// <summary>Sampling fields shared by the OpenAI and Ollama request shapes, before validation.</summary>
internal readonly record struct SamplingFields(
    float? Temperature, float? TopP, int? TopK, float? MinP,
    float? PresencePenalty, float? FrequencyPenalty, float? RepeatPenalty, long? Seed);

/// <summary>Range checks that turn absurd request values into 400s naming the field (OpenAI's documented ranges).</summary>
internal static class RequestValidation
{
    public const int MaxChoices = 8;
    public const int MaxStopStrings = 16;

    public static SamplingOptions Sampling(SamplingOptions defaults, SamplingFields f, int vocabSize)
    {
        var s = defaults;
        if (f.Temperature is float t) s = s with { Temperature = InRange(t, 0, 2, "temperature") };
        if (f.TopP is float p) s = s with { TopP = InRange(p, 0, 1, "top_p") };
        if (f.TopK is int k)
        {
            if (k < 0) throw ApiException.BadValue("top_k", "must be ≥ 0 (0 = off)");
            s = s with { TopK = Math.Min(k, vocabSize) };
        }
        if (f.MinP is float m) s = s with { MinP = InRange(m, 0, 1, "min_p") };
        if (f.PresencePenalty is float pp) s = s with { PresencePenalty = InRange(pp, -2, 2, "presence_penalty") };
        if (f.FrequencyPenalty is float fp) s = s with { FrequencyPenalty = InRange(fp, -2, 2, "frequency_penalty") };
        if (f.RepeatPenalty is float rp)
        {
            if (!(rp > 0 && rp <= 10)) throw ApiException.BadValue("repeat_penalty", "must be in (0, 10] (1 = off)");
            s = s with { RepeatPenalty = rp };
        }
        // OpenAI seeds are signed 64-bit; reinterpret the bits so every value is a distinct seed.
        s = s with { Seed = f.Seed is long seed ? unchecked((ulong)seed) : null };
        return s;
    }

    public static float InRange(float value, float min, float max, string name) =>
        float.IsFinite(value) && value >= min && value <= max ? value : throw ApiException.BadValue(name, $"must be between {min} and {max}");

    /// <summary>The generation limit: the request's (≥ 1), cut to what the context leaves after the prompt.</summary>
    public static int MaxTokens(int? requested, string name, int promptTokens, int contextSize, int fallback = int.MaxValue)
    {
        if (promptTokens >= contextSize) throw ApiException.ExceedsContext(promptTokens, contextSize);
        if (requested is < 1) throw ApiException.BadValue(name, "must be ≥ 1");
        return Math.Min(requested ?? fallback, contextSize - promptTokens);
    }

    public static int Choices(int? n)
    {
        if (n is int v && (v < 1 || v > MaxChoices)) throw ApiException.BadValue("n", $"must be between 1 and {MaxChoices}");
        return n ?? 1;
    }

    /// <summary>"stop": a string or an array of non-empty strings.</summary>
    public static IReadOnlyList<string> Stop(JsonElement? stop)
    {
        if (stop is not JsonElement e || e.ValueKind == JsonValueKind.Null) return [];
        if (e.ValueKind == JsonValueKind.String) return [NonEmptyStop(e.GetString())];
        if (e.ValueKind != JsonValueKind.Array) throw ApiException.BadValue("stop", "must be a string or an array of strings");
        if (e.GetArrayLength() > MaxStopStrings) throw ApiException.BadValue("stop", $"may have at most {MaxStopStrings} strings");
        var list = new List<string>();
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw ApiException.BadValue("stop", "must be a string or an array of strings");
            list.Add(NonEmptyStop(item.GetString()));
        }
        return list;
    }

    public static IReadOnlyList<string> StopList(IReadOnlyList<string?> stops)
    {
        if (stops.Count > MaxStopStrings) throw ApiException.BadValue("stop", $"may have at most {MaxStopStrings} strings");
        return [.. stops.Select(NonEmptyStop)];
    }

    private static string NonEmptyStop(string? s) =>
        string.IsNullOrEmpty(s) ? throw ApiException.BadValue("stop", "must not contain empty strings") : s;

    public static ReasoningFormat ReasoningFormat(string? requested, ReasoningFormat fallback) => requested switch
    {
        null or "auto" => fallback,
        "deepseek" => Scheduling.ReasoningFormat.DeepSeek,
        "none" => Scheduling.ReasoningFormat.None,
        "deepseek-legacy" => Scheduling.ReasoningFormat.DeepSeekLegacy,
        _ => throw ApiException.BadValue("reasoning_format", "must be deepseek, none, deepseek-legacy or auto"),
    };
}
