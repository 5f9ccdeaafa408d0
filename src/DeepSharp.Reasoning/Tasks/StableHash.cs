using System.Text;

namespace DeepSharp.Reasoning.Tasks;

/// <summary>FNV-1a over UTF-8: a hash that is the same in every process, used to split held-out from training problems.</summary>
internal static class StableHash
{
    public static uint Of(string text)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
            hash = (hash ^ b) * 16777619;
        return hash;
    }

    /// <summary>One problem in eight is reserved for evaluation, decided by its question text alone.</summary>
    public static bool IsHeldOut(string question) => Of(question) % 8 == 0;

    public static string Id(string prefix, string question) => $"{prefix}-{Of(question):x8}";
}
