using System.Globalization;

namespace DeepSharp.Bench;

/// <summary>This process's resident memory (VmRSS) and its high-water mark (VmHWM) from /proc/self/status.</summary>
internal static class ProcessMemory
{
    public static long CurrentRssBytes() => ReadKb("VmRSS:") ?? Environment.WorkingSet;

    public static long? PeakRssBytes() => ReadKb("VmHWM:");

    private static long? ReadKb(string key)
    {
        const string status = "/proc/self/status";
        if (!OperatingSystem.IsLinux() || !File.Exists(status)) return null;
        foreach (string line in File.ReadLines(status))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            string number = line[key.Length..].Trim().Split(' ')[0];
            return long.TryParse(number, NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : null;
        }
        return null;
    }

    /// <summary>The 1, 5 and 15 minute load averages (the machine's busyness while measuring).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
