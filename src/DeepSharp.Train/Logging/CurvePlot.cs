using System.Globalization;

namespace DeepSharp.Train.Logging;

/// <summary>
/// Training curves as a PNG: one panel per metric (raw values light, an exponential moving average dark), titled and
/// labelled with its min/max and the last step in a 3×5 pixel font.
/// </summary>
public static class CurvePlot
{
    private const int PanelWidth = 420, PanelHeight = 200, Margin = 14, Scale = 2;
    private static readonly (byte, byte, byte) White = (255, 255, 255), Grey = (200, 200, 200), Ink = (40, 40, 40);
    private static readonly (byte, byte, byte) Light = (150, 190, 235), Dark = (20, 80, 170);

    /// <summary>Writes the panels in a grid of two columns; series with fewer than two points are skipped.</summary>
    public static void Write(string path, IReadOnlyList<(string Title, IReadOnlyList<(int Step, double Value)> Points)> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var shown = series.Where(s => s.Points.Count >= 2).ToList();
        int columns = Math.Min(2, Math.Max(1, shown.Count)), rows = Math.Max(1, (shown.Count + 1) / 2);
        var image = new RgbImage(columns * PanelWidth, rows * PanelHeight, White);
        for (int i = 0; i < shown.Count; i++)
        {
            DrawPanel(image, (i % 2) * PanelWidth, (i / 2) * PanelHeight, shown[i].Title, shown[i].Points);
        }

        image.WritePng(path);
    }

    private static void DrawPanel(RgbImage image, int left, int top, string title, IReadOnlyList<(int Step, double Value)> points)
    {
        int x0 = left + Margin + 40, x1 = left + PanelWidth - Margin, y0 = top + Margin + 14, y1 = top + PanelHeight - Margin - 12;
        Box(image, x0, y0, x1, y1);
        double min = points.Min(p => p.Value), max = points.Max(p => p.Value);
        if (max - min < 1e-12)
        {
            (min, max) = (min - 0.5, max + 0.5);
        }

        int firstStep = points[0].Step, lastStep = points[^1].Step;
        int X(int step) => x0 + 1 + (int)Math.Round((double)(step - firstStep) / Math.Max(1, lastStep - firstStep) * (x1 - x0 - 2));
        int Y(double v) => y1 - 1 - (int)Math.Round((v - min) / (max - min) * (y1 - y0 - 2));
        double ema = points[0].Value;
        (int X, int Y)? prevRaw = null, prevEma = null;
        var emaLine = new List<((int, int), (int, int))>();
        foreach ((int step, double value) in points)
        {
            ema = 0.9 * ema + 0.1 * value;
            (int, int) raw = (X(step), Y(value)), smooth = (X(step), Y(ema));
            if (prevRaw is { } pr)
            {
                Line(image, pr, raw, Light);
                emaLine.Add((prevEma!.Value, smooth));
            }

            (prevRaw, prevEma) = (raw, smooth);
        }

        foreach (((int, int) a, (int, int) b) in emaLine)
        {
            Line(image, a, b, Dark);
        }

        Text(image, left + Margin, top + 4, title);
        Text(image, left + 2, y0, Format(max));
        Text(image, left + 2, y1 - 10, Format(min));
        Text(image, x1 - 8 * lastStep.ToString(CultureInfo.InvariantCulture).Length, y1 + 3, lastStep.ToString(CultureInfo.InvariantCulture));
    }

    private static string Format(double v) => Math.Abs(v) >= 1000 ? v.ToString("0", CultureInfo.InvariantCulture)
        : v.ToString(Math.Abs(v) >= 10 ? "0.0" : "0.000", CultureInfo.InvariantCulture);

    private static void Box(RgbImage image, int x0, int y0, int x1, int y1)
    {
        Line(image, (x0, y0), (x1, y0), Grey);
        Line(image, (x0, y1), (x1, y1), Grey);
        Line(image, (x0, y0), (x0, y1), Grey);
        Line(image, (x1, y0), (x1, y1), Grey);
    }

    /// <summary>Bresenham's line.</summary>
    private static void Line(RgbImage image, (int X, int Y) a, (int X, int Y) b, (byte, byte, byte) color)
    {
        int dx = Math.Abs(b.X - a.X), dy = -Math.Abs(b.Y - a.Y), sx = a.X < b.X ? 1 : -1, sy = a.Y < b.Y ? 1 : -1, err = dx + dy;
        (int x, int y) = a;
        while (true)
        {
            image.Set(x, y, color);
            if (x == b.X && y == b.Y)
            {
                return;
            }

            int e2 = 2 * err;
            if (e2 >= dy)
            {
                err += dy;
                x += sx;
            }

            if (e2 <= dx)
            {
                err += dx;
                y += sy;
            }
        }
    }

    private static void Text(RgbImage image, int x, int y, string text)
    {
        foreach (char c in text.ToUpperInvariant())
        {
            string glyph = PixelFont.Glyph(c);
            for (int i = 0; i < 15; i++)
            {
                if (glyph[i] == '1')
                {
                    for (int d = 0; d < Scale * Scale; d++)
                    {
                        image.Set(x + (i % 3) * Scale + d % Scale, y + (i / 3) * Scale + d / Scale, Ink);
                    }
                }
            }

            x += 4 * Scale;
        }
    }
}

/// <summary>3×5 glyphs (rows top to bottom) for digits, upper-case letters and a little punctuation.</summary>
internal static class PixelFont
{
    private static readonly Dictionary<char, string> Glyphs = new()
    {
        ['0'] = "111101101101111", ['1'] = "010110010010111", ['2'] = "111001111100111", ['3'] = "111001111001111",
        ['4'] = "101101111001001", ['5'] = "111100111001111", ['6'] = "111100111101111", ['7'] = "111001001001001",
        ['8'] = "111101111101111", ['9'] = "111101111001111", ['.'] = "000000000000010", ['-'] = "000000111000000",
        [':'] = "000010000010000", ['/'] = "001001010100100", ['('] = "010100100100010", [')'] = "010001001001010",
        ['A'] = "010101111101101", ['B'] = "110101110101110", ['C'] = "111100100100111", ['D'] = "110101101101110",
        ['E'] = "111100111100111", ['F'] = "111100111100100", ['G'] = "111100101101111", ['H'] = "101101111101101",
        ['I'] = "111010010010111", ['J'] = "001001001101111", ['K'] = "101101110101101", ['L'] = "100100100100111",
        ['M'] = "101111111101101", ['N'] = "110101101101101", ['O'] = "111101101101111", ['P'] = "111101111100100",
        ['Q'] = "111101101111001", ['R'] = "110101110101101", ['S'] = "111100111001111", ['T'] = "111010010010010",
        ['U'] = "101101101101111", ['V'] = "101101101101010", ['W'] = "101101111111101", ['X'] = "101101010101101",
        ['Y'] = "101101010010010", ['Z'] = "111001010100111", ['@'] = "111101111100111", ['_'] = "000000000000111",
    };

    public static string Glyph(char c) => Glyphs.GetValueOrDefault(c, "000000000000000");
}
