using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepSharp.Train.Logging;

/// <summary>An RGB image and a minimal PNG encoder: IHDR (8-bit truecolour), one zlib IDAT, IEND; CRC-32 per chunk.</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, (byte R, byte G, byte B) background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        for (int i = 0; i < Pixels.Length; i += 3)
        {
            (Pixels[i], Pixels[i + 1], Pixels[i + 2]) = background;
        }
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Row-major RGB triples.</summary>
    public byte[] Pixels { get; }

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x < (uint)Width && (uint)y < (uint)Height)
        {
            int i = (y * Width + x) * 3;
            (Pixels[i], Pixels[i + 1], Pixels[i + 2]) = c;
        }
    }

    public void WritePng(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8;   // bits per channel
        header[9] = 2;   // truecolour; compression, filter and interlace methods 0
        WriteChunk(output, "IHDR", header);
        WriteChunk(output, "IDAT", Compress());
        WriteChunk(output, "IEND", []);
    }

    public void WritePng(string path)
    {
        using FileStream f = File.Create(path);
        WritePng(f);
    }

    private byte[] Compress()
    {
        using var buffer = new MemoryStream();
        using (var z = new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = Width * 3;
            for (int y = 0; y < Height; y++)
            {
                z.WriteByte(0);   // filter type None
                z.Write(Pixels, y * stride, stride);
            }
        }

        return buffer.ToArray();
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        output.Write(four);
        byte[] typeAndData = [.. type.Select(c => (byte)c), .. data];
        output.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(four, Crc32.Compute(typeAndData));
        output.Write(four);
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as PNG chunks use it.</summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
