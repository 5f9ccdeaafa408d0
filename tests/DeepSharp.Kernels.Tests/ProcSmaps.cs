using System.Globalization;

namespace DeepSharp.Kernels.Tests;

/// <summary>Linux's /proc/self/smaps: what the kernel says about the mapping that holds an address.</summary>
internal static class ProcSmaps
{
    /// <summary>
    /// The value (the words after the name) of the field <paramref name="name"/> (e.g. <c>"Rss:"</c>) of the mapping
    /// that holds <paramref name="address"/>. A mapping's field lines follow its header, "start-end perms ...", whose
    /// first word, unlike theirs, does not end in a colon.
    /// </summary>
    public static string Field(nint address, string name)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            string[] words = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            if (!words[0].EndsWith(':'))
            {
                string[] range = words[0].Split('-');
                inside = long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture) <= address &&
                         address < long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
            else if (inside && words[0] == name)
            {
                return words[1].Trim();
            }
        }
        throw new InvalidOperationException($"no mapping of /proc/self/smaps holds 0x{address:x} with a field {name}");
    }

    /// <summary>The mapping's resident bytes (its Rss field, in kB).</summary>
    public static long ResidentBytes(nint address) =>
        long.Parse(Field(address, "Rss:").Split(' ')[0], CultureInfo.InvariantCulture) * 1024;

    /// <summary>Whether the kernel gives transparent huge pages where they are advised (they are not switched off).</summary>
    public static bool HugePagesOffered() =>
        !File.ReadAllText("/sys/kernel/mm/transparent_hugepage/enabled").Contains("[never]", StringComparison.Ordinal);

    /// <summary>Whether the kernel marks the mapping holding <paramref name="address"/> eligible for huge pages (it was advised them).</summary>
    public static bool HugePageEligible(nint address) => Field(address, "THPeligible:") == "1";
}
