using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DeepSharp.Train.Logging;

/// <summary>
/// Per-step records of a run: one JSON object per line in a JSONL file, a progress bar, and the curves as a PNG
/// (redrawn by <see cref="Plot"/>). A resumed run keeps the records of the steps before its checkpoint and drops the
/// rest, so the log never holds a step twice.
/// </summary>
public sealed class RunLog : IDisposable
{
    private readonly StreamWriter _jsonl;
    private readonly string? _pngPath;
    private readonly TextWriter _progress;
    private readonly bool _interactive;
    private readonly int _totalSteps;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, List<(int Step, double Value)>> _series = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private int _stepsThisRun;

    public RunLog(string jsonlPath, string? pngPath, TextWriter progress, bool interactive, int totalSteps, int resumeFrom)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jsonlPath);
        _pngPath = pngPath;
        _progress = progress ?? throw new ArgumentNullException(nameof(progress));
        _interactive = interactive;
        _totalSteps = totalSteps;
        List<string> kept = resumeFrom > 0 && File.Exists(jsonlPath) ? KeepBefore(jsonlPath, resumeFrom) : [];
        _jsonl = new StreamWriter(jsonlPath, append: false, new UTF8Encoding(false));
        foreach (string line in kept)
        {
            _jsonl.WriteLine(line);
            Remember(JsonSerializer.Deserialize<Dictionary<string, double>>(line)!);
        }

        _jsonl.Flush();
    }

    /// <summary>Points of one metric so far.</summary>
    public IReadOnlyList<(int Step, double Value)> Series(string name) => _series.TryGetValue(name, out var s) ? s : [];

    public void Step(int step, IReadOnlyList<(string Name, double Value)> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var record = new Dictionary<string, double> { ["step"] = step };
        foreach ((string name, double value) in metrics)
        {
            record[name] = Math.Round(value, 6);
        }

        record["elapsed_s"] = Math.Round(_clock.Elapsed.TotalSeconds, 2);
        _jsonl.WriteLine(JsonSerializer.Serialize(record));
        _jsonl.Flush();
        Remember(record);
        _stepsThisRun++;
        Progress(step, metrics);
    }

    public void Plot()
    {
        if (_pngPath is not null)
        {
            CurvePlot.Write(_pngPath, [.. _order.Select(n => (n.Replace('_', ' '), (IReadOnlyList<(int, double)>)_series[n]))]);
        }
    }

    public void Dispose()
    {
        if (_interactive)
        {
            _progress.WriteLine();
        }

        _jsonl.Dispose();
    }

    private void Remember(Dictionary<string, double> record)
    {
        int step = (int)record["step"];
        foreach ((string name, double value) in record)
        {
            if (name is "step" or "elapsed_s")
            {
                continue;
            }

            if (!_series.TryGetValue(name, out var list))
            {
                _series[name] = list = [];
                _order.Add(name);
            }

            list.Add((step, value));
        }
    }

    private void Progress(int step, IReadOnlyList<(string Name, double Value)> metrics)
    {
        int done = step + 1;
        bool last = done == _totalSteps;
        if (!_interactive && !last && done % Math.Max(1, _totalSteps / 50) != 0)
        {
            return;   // redirected output: about 50 full lines per run
        }

        const int Width = 30;
        int filled = (int)((long)done * Width / Math.Max(1, _totalSteps));
        double perStep = _clock.Elapsed.TotalSeconds / Math.Max(1, _stepsThisRun);
        TimeSpan eta = TimeSpan.FromSeconds(perStep * (_totalSteps - done));
        var sb = new StringBuilder(_interactive ? "\r" : "");
        sb.Append('[').Append('#', filled).Append('.', Width - filled).Append("] ")
          .Append(CultureInfo.InvariantCulture, $"{done}/{_totalSteps}");
        foreach ((string name, double value) in metrics.Take(4))
        {
            sb.Append(CultureInfo.InvariantCulture, $" {name} {value:0.####}");
        }

        sb.Append(CultureInfo.InvariantCulture, $" {perStep:0.00}s/step eta {eta:hh\\:mm\\:ss}");
        if (_interactive)
        {
            _progress.Write(sb.ToString());
        }
        else
        {
            _progress.WriteLine(sb.ToString());
        }

        _progress.Flush();
    }

    private static List<string> KeepBefore(string path, int step) =>
        [.. File.ReadAllLines(path).Where(l => l.Length > 0
            && JsonSerializer.Deserialize<Dictionary<string, double>>(l) is { } r && r.TryGetValue("step", out double s) && s < step)];
}
