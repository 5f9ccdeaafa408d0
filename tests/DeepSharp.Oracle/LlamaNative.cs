using System.Text;
using LLama.Native;

namespace DeepSharp.Oracle;

/// <summary>
/// Loads llama.cpp once per process with its log routed into memory (instead of stderr), so test output stays quiet
/// and failures can show what llama.cpp said.
/// </summary>
public static class LlamaNative
{
    private const int MaxLogChars = 16_000;
    private static readonly object Gate = new();
    private static readonly StringBuilder Log = new();
    private static bool _loaded;

    /// <summary>The last few thousand characters llama.cpp logged.</summary>
    public static string RecentLog
    {
        get
        {
            lock (Log)
                return Log.ToString();
        }
    }

    /// <summary>Routes the log, then makes one native call so the library is loaded (the quantizer needs that).</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded)
                return;
            NativeLibraryConfig.All.WithLogCallback(OnLog);
            NativeApi.llama_print_system_info();
            _loaded = true;
        }
    }

    private static void OnLog(LLamaLogLevel level, string message)
    {
        lock (Log)
        {
            if (level != LLamaLogLevel.Continue && Log.Length > 0 && Log[^1] != '\n')
                Log.Append('\n');
            Log.Append(message);
            if (Log.Length > MaxLogChars)
                Log.Remove(0, Log.Length - MaxLogChars / 2);
        }
    }
}
