using System.Buffers.Binary;
using System.IO.Compression;
using DeepSharp.Train.Data;
using DeepSharp.Train.Logging;

namespace DeepSharp.Train.Tests;

public sealed class LoggingAndDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("train-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Crc32_of_known_inputs()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));   // the standard check value
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));        // every PNG's last four bytes
    }

    [Fact]
    public void Png_has_the_signature_chunks_and_pixels_written()
    {
        var image = new RgbImage(3, 2, (255, 255, 255));
        image.Set(1, 1, (10, 20, 30));
        using var stream = new MemoryStream();
        image.WritePng(stream);
        byte[] png = stream.ToArray();
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Equal(new byte[] { 0xAE, 0x42, 0x60, 0x82 }, png[^4..]);

        int idatLength = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(33));
        Assert.Equal("IDAT"u8.ToArray(), png[37..41]);
        using var z = new ZLibStream(new MemoryStream(png, 41, idatLength), CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        byte[] rows = raw.ToArray();
        Assert.Equal(2 * (1 + 9), rows.Length);
        Assert.Equal(new byte[] { 0, 255, 255, 255, 10, 20, 30, 255, 255, 255 }, rows[10..]);
    }

    private string WriteLines(params string[] lines)
    {
        string path = Path.Combine(_dir, "traces.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private const string Good = """{"messages":[{"role":"user","content":"What is 1 + 2?"},{"role":"assistant","content":"<think>\n1 + 2 = 3\n</think>\n\n3"}]}""";
    private const string Fields = """{"prompt":"What is 2 + 2?","reasoning":"2 + 2 = 4","answer":"4"}""";

    [Fact]
    public void A_malformed_line_stops_the_run_naming_its_line_number()
    {
        string path = WriteLines(Good, "", "{not json", Fields);
        var e = Assert.Throws<TraceFormatException>(() => TraceFile.Read(path, skipBadLines: false, _ => { }));
        Assert.Contains("traces.jsonl:3:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_lines_are_skipped_with_a_warning_when_asked()
    {
        string path = WriteLines(Good, """{"messages":[{"role":"user","content":"only a question"}]}""", "[1, 2]", Fields);
        var warnings = new List<string>();
        List<Trace> traces = TraceFile.Read(path, skipBadLines: true, warnings.Add);
        Assert.Equal(2, traces.Count);
        Assert.Equal(new Trace("What is 2 + 2?", "<think>\n2 + 2 = 4\n</think>\n\n4"), traces[1]);
        Assert.Equal(2, warnings.Count);
        Assert.Contains(":2:", warnings[0], StringComparison.Ordinal);
        Assert.Contains(":3:", warnings[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_resumed_log_drops_the_steps_after_the_checkpoint()
    {
        string path = Path.Combine(_dir, "run.log.jsonl");
        using (var log = new RunLog(path, null, TextWriter.Null, interactive: false, totalSteps: 5, resumeFrom: 0))
        {
            for (int s = 0; s < 4; s++)
            {
                log.Step(s, [("loss", 4 - s)]);
            }
        }

        using (var resumed = new RunLog(path, null, TextWriter.Null, interactive: false, totalSteps: 5, resumeFrom: 2))
        {
            resumed.Step(2, [("loss", 1.5)]);
            Assert.Equal([(0, 4.0), (1, 3.0), (2, 1.5)], resumed.Series("loss"));
        }

        Assert.Equal(3, File.ReadAllLines(path).Length);
    }
}
