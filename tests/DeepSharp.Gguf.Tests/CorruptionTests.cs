using System.Buffers.Binary;
using DeepSharp.Oracle;

namespace DeepSharp.Gguf.Tests;

/// <summary>
/// Broken, truncated and hostile files must end in a <see cref="GgufFormatException"/> that says what is wrong and
/// where, never in another exception, a crash, a huge allocation or a hang.
/// </summary>
public class CorruptionTests
{
    private static GgufFormatException Rejects(byte[] file) =>
        Assert.Throws<GgufFormatException>(() => GgufHeaderParser.Parse(file));

    private static void RejectsWith(byte[] file, params string[] fragments)
    {
        var e = Rejects(file);
        foreach (string f in fragments)
            Assert.Contains(f, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Magic_and_version_are_checked()
    {
        RejectsWith(RawGguf.Header(0, 0, magic: 0x46554746).ToArray(), "bad magic");
        RejectsWith([], "bad magic");
        RejectsWith([(byte)'G', (byte)'G'], "bad magic");
        RejectsWith(RawGguf.Header(0, 0, version: 1).ToArray(), "version 1");
        RejectsWith(RawGguf.Header(0, 0, version: 4).ToArray(), "version 4");
        RejectsWith(RawGguf.Header(0, 0, version: 0x03000000).ToArray(), "big-endian");
        Assert.Equal(2u, GgufHeaderParser.Parse(RawGguf.Header(0, 0, version: 2).ToArray()).Version);
    }

    [Fact]
    public void Counts_larger_than_the_file_are_refused_before_allocating()
    {
        RejectsWith(RawGguf.Header(0, ulong.MaxValue).ToArray(), "metadata key count");
        RejectsWith(RawGguf.Header(1L << 40, 0).ToArray(), "tensor count");
        RejectsWith(RawGguf.Header(0, 2).KvU32("a", 1).ToArray(), "metadata key count 2");
        RejectsWith(RawGguf.Header(0, 2).KvU32("a", 1).U64(100).Zeros(5).ToArray(), "metadata entry #1", "key length 100");
    }

    [Fact]
    public void Hostile_lengths_in_metadata_name_the_key()
    {
        RejectsWith(RawGguf.Header(0, 1).U64(ulong.MaxValue).Zeros(8).ToArray(), "metadata entry #0", "key length");
        RejectsWith(RawGguf.Header(0, 1).Key("s", GgufValueType.String).U64(1L << 62).ToArray(), "'s'", "length");
        RejectsWith(RawGguf.Header(0, 1).Key("a", GgufValueType.Array).U32(0).U64(ulong.MaxValue).ToArray(), "'a'", "array length");
        RejectsWith(RawGguf.Header(0, 1).Key("a", GgufValueType.Array).U32(8).U64(1000).Str("x").ToArray(), "'a'", "array length");
        RejectsWith(RawGguf.Header(0, 1).Key("a", GgufValueType.Array).U32(9).U64(100_000_000).Zeros(64).ToArray(), "'a'");
        RejectsWith(RawGguf.Header(0, 1).Key("a", GgufValueType.Array).U32(8).U64(2).Str("x").U64(5).ToArray(), "'a'", "array string");
    }

    [Fact]
    public void Bad_type_ids_and_values_name_the_key()
    {
        RejectsWith(RawGguf.Header(0, 1).Key("k", (GgufValueType)99).U32(0).ToArray(), "'k'", "value type id 99");
        RejectsWith(RawGguf.Header(0, 1).Key("k", GgufValueType.Array).U32(99).U64(0).ToArray(), "'k'", "element type id 99");
        RejectsWith(RawGguf.Header(0, 1).Key("b", GgufValueType.Bool).U8(2).ToArray(), "'b'", "bool");
        RejectsWith(RawGguf.Header(0, 2).KvU32("d", 1).KvU32("d", 2).ToArray(), "'d'", "duplicate key");
        RejectsWith(RawGguf.Header(0, 1).Key("t", GgufValueType.UInt64).U32(1).ToArray(), "'t'", "truncated");
    }

    [Fact]
    public void Names_in_messages_are_printable_and_short()
    {
        RejectsWith(RawGguf.Header(0, 1).Key("a\u0001b", GgufValueType.Bool).U8(7).ToArray(), "'a\\x01b'");
        var e = Rejects(RawGguf.Header(0, 1).Key(new string('k', 5000), GgufValueType.Bool).U8(7).ToArray());
        Assert.Contains("(5000 chars)", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length < 300, e.Message);
    }

    [Fact]
    public void Deeply_nested_arrays_are_refused_without_recursing_forever()
    {
        var raw = RawGguf.Header(0, 1).Key("n", GgufValueType.Array);
        for (int i = 0; i < 10_000; i++)
            raw.U32((uint)GgufValueType.Array).U64(1);
        RejectsWith(raw.ToArray(), "'n'", "nested");

        var ok = RawGguf.Header(0, 1).Key("n", GgufValueType.Array).U32(9).U64(2)
            .U32(5).U64(2).U32(1).U32(2)
            .U32(8).U64(1).Str("z").ToArray();
        var nested = (GgufValue[])GgufHeaderParser.Parse(ok).Metadata["n"].Raw;
        Assert.Equal(new[] { 1, 2 }, nested[0].Raw);
        Assert.Equal(new[] { "z" }, nested[1].Raw);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(48u)]
    [InlineData(1u << 31)]
    public void Alignment_must_be_a_power_of_two(uint alignment) =>
        RejectsWith(RawGguf.Header(0, 1).KvU32("general.alignment", alignment).ToArray(), "general.alignment");

    [Fact]
    public void Alignment_of_the_wrong_type_is_refused() =>
        RejectsWith(RawGguf.Header(0, 1).Key("general.alignment", GgufValueType.String).Str("32").ToArray(), "general.alignment");

    private static byte[] OneTensor(ulong[] dims, uint type = 0, ulong offset = 0, int dataBytes = 64) =>
        RawGguf.Header(1, 0).Tensor("w", dims, type, offset).Pad().Zeros(dataBytes).ToArray();

    [Fact]
    public void Tensor_infos_are_validated_and_name_the_tensor()
    {
        Assert.Single(GgufHeaderParser.Parse(OneTensor([4, 4])).Tensors);
        RejectsWith(OneTensor([1, 1, 1, 1, 1]), "'w'", "n_dims is 5");
        RejectsWith(OneTensor([]), "'w'", "n_dims is 0");
        RejectsWith(OneTensor([4, 0]), "'w'", "ne[1] is 0");
        RejectsWith(OneTensor([ulong.MaxValue]), "'w'", "ne[0]");
        RejectsWith(OneTensor([1L << 40, 1L << 40]), "'w'", "overflows");
        RejectsWith(OneTensor([1L << 61]), "'w'", "overflows");
        RejectsWith(OneTensor([4], type: 99), "'w'", "type id 99");
        RejectsWith(OneTensor([4], type: 4), "'w'", "type id 4");
        RejectsWith(OneTensor([4], type: uint.MaxValue), "'w'", "type id");
        RejectsWith(OneTensor([33], type: 8), "'w'", "block size 32");
        RejectsWith(OneTensor([4], offset: 8), "'w'", "alignment");
        RejectsWith(OneTensor([4], offset: 64), "'w'", "past the end");
        RejectsWith(OneTensor([4], offset: ulong.MaxValue), "'w'");
        RejectsWith(OneTensor([17]), "'w'", "past the end");
        RejectsWith(OneTensor([16], dataBytes: 63), "'w'", "past the end");
        RejectsWith(RawGguf.Header(1, 0).U64(1L << 50).Zeros(32).ToArray(), "tensor #0", "name length");
    }

    [Fact]
    public void Duplicate_and_overlapping_tensors_are_refused()
    {
        RejectsWith(RawGguf.Header(2, 0).Tensor("a", [8]).Tensor("a", [8], offset: 32).Pad().Zeros(64).ToArray(), "'a'", "duplicate");
        RejectsWith(RawGguf.Header(2, 0).Tensor("a", [16]).Tensor("b", [8], offset: 32).Pad().Zeros(96).ToArray(), "'b'", "'a'", "overlap");
        Assert.Equal(2, GgufHeaderParser.Parse(RawGguf.Header(2, 0).Tensor("a", [8]).Tensor("b", [8], offset: 32).Pad().Zeros(64).ToArray()).Tensors.Count);
    }

    [Fact]
    public void Empty_and_tiny_files_are_refused_by_Open()
    {
        string path = Path.Combine(Path.GetTempPath(), $"gguf-tiny-{Guid.NewGuid():N}.gguf");
        try
        {
            foreach (byte[] content in new[] { Array.Empty<byte>(), "GGU"u8.ToArray(), RawGguf.Header(0, 1).ToArray() })
            {
                File.WriteAllBytes(path, content);
                Assert.Throws<GgufFormatException>(() => GgufFile.Open(path).Dispose());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Truncating_a_real_file_anywhere_is_refused()
    {
        byte[] file = File.ReadAllBytes(TestPaths.Stories260K);
        var header = GgufHeaderParser.Parse(file);
        // Every byte of the fixed header and first keys, every 2nd of the tensor directory, every 13th elsewhere, a sample of the data.
        var cuts = Enumerable.Range(0, 600)
            .Concat(Enumerable.Range(600, (int)header.DataOffset - 600).Where(i => i % 13 == 0 || (i > header.DataOffset - 2600 && i % 2 == 0)))
            .Concat(Enumerable.Range(0, 40).Select(i => (int)(header.DataOffset + (file.Length - header.DataOffset) * i / 40)));
        foreach (int cut in cuts)
        {
            var e = Assert.Throws<GgufFormatException>(() => GgufHeaderParser.Parse(file.AsSpan(0, cut)));
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }

    [Fact]
    public void Overwriting_real_header_fields_never_escapes_as_another_exception()
    {
        byte[] original = File.ReadAllBytes(TestPaths.Stories260K);
        long dataOffset = GgufHeaderParser.Parse(original).DataOffset;
        // Values that hit every field kind: huge lengths/counts/dims/offsets, bad type ids, overflowing products.
        ulong[] patterns = [ulong.MaxValue, 1UL << 40, 99, 0];
        // Every byte of the fixed header and first keys, every 5th byte of the tensor directory (the file's last 2.7 KB
        // of header), every 97th byte of the vocabulary in between.
        var starts = Enumerable.Range(0, 200)
            .Concat(Enumerable.Range(200, (int)dataOffset - 2900).Where(i => i % 97 == 0))
            .Concat(Enumerable.Range((int)dataOffset - 2700, 2700).Where(i => i % 5 == 0)).ToArray();
        byte[] file = (byte[])original.Clone();
        int rejected = 0;
        foreach (int start in starts)
        {
            foreach (ulong pattern in patterns)
            {
                foreach (int width in new[] { 4, 8 })
                {
                    if (start + width > file.Length)
                        continue;
                    var field = file.AsSpan(start, width);
                    if (width == 4)
                        BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)pattern);
                    else
                        BinaryPrimitives.WriteUInt64LittleEndian(field, pattern);
                    try
                    {
                        GgufHeaderParser.Parse(file);
                    }
                    catch (GgufFormatException)
                    {
                        rejected++;
                    }
                    catch (Exception e)
                    {
                        Assert.Fail($"offset {start}, {width}-byte {pattern}: {e.GetType().Name}: {e.Message}");
                    }
                    original.AsSpan(start, width).CopyTo(field);
                }
            }
        }
        Assert.True(rejected > starts.Length, $"only {rejected} corruptions were detected");
    }
}
