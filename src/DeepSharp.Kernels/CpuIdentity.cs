using System.Runtime.Intrinsics.X86;

namespace DeepSharp.Kernels;

/// <summary>
/// The CPU's vendor string, family and model as CPUID reports them (x86); elsewhere an empty vendor, family 0 and model 0.
/// </summary>
public sealed record CpuIdentity(string Vendor, int Family, int Model = 0)
{
    public const string Amd = "AuthenticAMD";
    public const string Intel = "GenuineIntel";

    /// <summary>This machine's.</summary>
    public static CpuIdentity Current { get; } = Read();

    private static CpuIdentity Read()
    {
        if (!X86Base.IsSupported) return new CpuIdentity("", 0);
        var (_, b, c, d) = X86Base.CpuId(0, 0);
        Span<int> vendor = [b, d, c];   // CPUID 0 spells the vendor in EBX, EDX, ECX
        string name = System.Text.Encoding.ASCII.GetString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vendor));
        int eax = X86Base.CpuId(1, 0).Eax;
        return new CpuIdentity(name, FamilyOf(eax), ModelOf(eax));
    }

    /// <summary>The family from CPUID leaf 1's EAX: the base family, plus the extended family where the base is 0Fh.</summary>
    public static int FamilyOf(int eax)
    {
        int baseFamily = BaseFamilyOf(eax);
        return baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
    }

    /// <summary>
    /// The model from CPUID leaf 1's EAX: the base model, with the extended model as its high four bits where the base
    /// family is 6 or 0Fh (as Intel's and AMD's manuals both define it).
    /// </summary>
    public static int ModelOf(int eax)
    {
        int baseModel = (eax >> 4) & 0xF;
        return BaseFamilyOf(eax) is 6 or 0xF ? baseModel | (((eax >> 16) & 0xF) << 4) : baseModel;
    }

    private static int BaseFamilyOf(int eax) => (eax >> 8) & 0xF;
}
