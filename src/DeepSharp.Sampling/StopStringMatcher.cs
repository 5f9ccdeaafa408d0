namespace DeepSharp.Sampling;

/// <summary>What a <see cref="StopStringMatcher"/> releases for one pushed chunk.</summary>
/// <param name="Text">Text that is safe to show: it cannot be part of a stop string.</param>
/// <param name="Stopped">True when a stop string was found; <paramref name="Text"/> then ends just before it.</param>
/// <param name="StopString">The stop string that matched, when <paramref name="Stopped"/>.</param>
public readonly record struct StopMatch(string Text, bool Stopped, string? StopString);

/// <summary>
/// Finds stop strings in streamed text. Text that could still be the start of a stop string is held back until the
/// next chunk decides it, so a stop string split across chunks ("&lt;/th" + "ink&gt;") is never shown.
/// After a stop, further pushes return nothing.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private string _pending = string.Empty;
    private bool _stopped;

    public StopStringMatcher(IEnumerable<string> stopStrings)
    {
        ArgumentNullException.ThrowIfNull(stopStrings);
        _stops = [.. stopStrings];
        foreach (string s in _stops)
        {
            if (string.IsNullOrEmpty(s))
            {
                throw new ArgumentException("Stop strings must not be null or empty.", nameof(stopStrings));
            }
        }
    }

    public bool Stopped => _stopped;

    public StopMatch Push(string chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (_stopped)
        {
            return new StopMatch(string.Empty, true, null);
        }

        string text = _pending + chunk;
        (int at, string? stop) = FindEarliestStop(text);
        if (stop is not null)
        {
            _stopped = true;
            _pending = string.Empty;
            return new StopMatch(text[..at], true, stop);
        }

        int hold = LongestSuffixThatStartsAStop(text);
        _pending = text[^hold..];
        return new StopMatch(text[..^hold], false, null);
    }

    /// <summary>Releases held-back text at the end of generation (it was not a stop string after all).</summary>
    public string Flush()
    {
        string rest = _stopped ? string.Empty : _pending;
        _pending = string.Empty;
        return rest;
    }

    public void Reset()
    {
        _pending = string.Empty;
        _stopped = false;
    }

    private (int At, string? Stop) FindEarliestStop(string text)
    {
        int best = int.MaxValue;
        string? found = null;
        foreach (string s in _stops)
        {
            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (i < best || (i == best && s.Length > found!.Length)))
            {
                best = i;
                found = s;
            }
        }

        return (best, found);
    }

    /// <summary>Length of the longest proper suffix of text that is a prefix of some stop string.</summary>
    private int LongestSuffixThatStartsAStop(string text)
    {
        int longest = 0;
        foreach (string s in _stops)
        {
            int max = Math.Min(s.Length - 1, text.Length);
            for (int len = max; len > longest; len--)
            {
                if (text.AsSpan(text.Length - len).SequenceEqual(s.AsSpan(0, len)))
                {
                    longest = len;
                    break;
                }
            }
        }

        return longest;
    }
}
