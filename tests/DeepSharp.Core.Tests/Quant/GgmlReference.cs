using System.Runtime.InteropServices;
using DeepSharp.Core.Quant;
using DeepSharp.Oracle;

namespace DeepSharp.Core.Tests.Quant;

/// <summary>
/// ggml's own reference functions, called in the libggml-base/libggml-cpu that llama.cpp (through LLamaSharp) has
/// loaded: quantize_row_*_ref, dequantize_row_*, ggml_fp32_to_bf16_row_ref and ggml_vec_dot_*_generic. These are the
/// functions llama-quantize and the CPU backend use, so they are the exact oracle for this folder's references.
/// </summary>
internal static unsafe class GgmlReference
{
    private static readonly Lazy<(nint Base, nint Cpu)> Libraries = new(LoadLibraries);

    private static (nint Base, nint Cpu) LoadLibraries()
    {
        LlamaNative.EnsureLoaded();
        // Use the very files llama.cpp mapped (LLamaSharp picks the variant for this CPU), not a second copy.
        string basePath = MappedPath("libggml-base.so") ?? throw new InvalidOperationException("libggml-base.so is not loaded");
        string cpuPath = MappedPath("libggml-cpu.so") ?? Path.Combine(Path.GetDirectoryName(basePath)!, "libggml-cpu.so");
        nint baseLib = NativeLibrary.Load(basePath);
        nint cpuLib = NativeLibrary.Load(cpuPath);
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(cpuLib, "ggml_cpu_init"))();
        return (baseLib, cpuLib);
    }

    private static string? MappedPath(string fileName)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0 && line.EndsWith("/" + fileName, StringComparison.Ordinal)) return line[slash..];
        }
        return null;
    }

    /// <summary>ggml's type name as used in its function names (q4_0, q4_K, iq4_nl, ...).</summary>
    public static string GgmlName(QuantType type) => type switch
    {
        QuantType.Q2_K => "q2_K", QuantType.Q3_K => "q3_K", QuantType.Q4_K => "q4_K",
        QuantType.Q5_K => "q5_K", QuantType.Q6_K => "q6_K", QuantType.Q8_K => "q8_K",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>quantize_row_&lt;type&gt;_ref (ggml_fp32_to_bf16_row_ref / ggml_fp32_to_fp16_row for BF16/F16).</summary>
    public static byte[] QuantizeRow(QuantType type, float[] x)
    {
        var q = new byte[QuantTypeInfo.Get(type).RowBytes(x.Length)];
        string name = type switch
        {
            QuantType.BF16 => "ggml_fp32_to_bf16_row_ref",
            QuantType.F16 => "ggml_fp32_to_fp16_row",
            _ => $"quantize_row_{GgmlName(type)}_ref",
        };
        var fn = (delegate* unmanaged<float*, byte*, long, void>)NativeLibrary.GetExport(Libraries.Value.Base, name);
        fixed (float* px = x)
        fixed (byte* pq = q)
            fn(px, pq, x.Length);
        return q;
    }

    /// <summary>dequantize_row_&lt;type&gt; (ggml_bf16_to_fp32_row / ggml_fp16_to_fp32_row for BF16/F16).</summary>
    public static float[] DequantizeRow(QuantType type, byte[] q, int n)
    {
        var y = new float[n];
        string name = type switch
        {
            QuantType.BF16 => "ggml_bf16_to_fp32_row",
            QuantType.F16 => "ggml_fp16_to_fp32_row",
            _ => $"dequantize_row_{GgmlName(type)}",
        };
        var fn = (delegate* unmanaged<byte*, float*, long, void>)NativeLibrary.GetExport(Libraries.Value.Base, name);
        fixed (byte* pq = q)
        fixed (float* py = y)
            fn(pq, py, n);
        return y;
    }

    /// <summary>ggml_vec_dot_&lt;type&gt;_&lt;vec-dot type&gt;_generic: the portable C dot llama.cpp's SIMD versions are checked against.</summary>
    public static float VecDotGeneric(QuantType type, byte[] row, byte[] xq, int n)
    {
        string name = $"ggml_vec_dot_{GgmlName(type)}_{GgmlName(VecDot.VecDotType(type))}_generic";
        var fn = (delegate* unmanaged<int, float*, nuint, byte*, nuint, byte*, nuint, int, void>)NativeLibrary.GetExport(Libraries.Value.Cpu, name);
        float s = float.NaN;
        fixed (byte* px = row)
        fixed (byte* py = xq)
            fn(n, &s, 0, px, 0, py, 0, 1);
        return s;
    }
}
