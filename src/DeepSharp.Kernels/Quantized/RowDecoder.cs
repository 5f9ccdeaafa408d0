using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DeepSharp.Core.Quant;
using DeepSharp.Kernels.Float;

namespace DeepSharp.Kernels.Quantized;

/// <summary>
/// Decodes one stored row to floats — the first step of every quantized product (row → scratch → dots), so each
/// weight row is decoded once per batch. Hot formats are decoded here; the rest fall back to the Core scalar
/// reference (<see cref="Dequantize.Row"/>), which the tests also hold these decoders to. Layouts: ggml block_* structs.
/// </summary>
[SkipLocalsInit]
public static class RowDecoder
{
    /// <summary>dst [n] ← decode(src), src holding n elements of <paramref name="type"/>.</summary>
    public static void Decode(QuantType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (type)
        {
            case QuantType.F32: MemoryMarshal.Cast<byte, float>(src).CopyTo(dst); break;
            case QuantType.F16: DecodeF16(src, dst); break;
            case QuantType.BF16: DecodeBF16(src, dst); break;
            case QuantType.Q8_0: DecodeQ8_0(src, dst); break;
            case QuantType.Q4_0: DecodeQ4_0(src, dst); break;
            case QuantType.Q4_K: DecodeQ4K(src, dst); break;
            case QuantType.Q5_K: DecodeQ5K(src, dst); break;
            case QuantType.Q6_K: DecodeQ6K(src, dst); break;
            default: Dequantize.Row(type, src, dst); break;
        }
    }

    internal static float Half(ReadOnlySpan<byte> b, int at) => HalfTable.ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(b[at..]));

    private static void DecodeF16(ReadOnlySpan<byte> src, Span<float> dst) =>
        HalfVector.Widen(MemoryMarshal.Cast<byte, Half>(src)[..dst.Length], dst);

    // bf16 is the top half of an f32: widen and shift, 16 values at a time.
    private static void DecodeBF16(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var h = MemoryMarshal.Cast<byte, ushort>(src);
        ref ushort ph = ref MemoryMarshal.GetReference(h);
        ref uint pd = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(dst));
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= dst.Length - 16; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref ph, (nuint)i));
                (lo << 16).StoreUnsafe(ref pd, (nuint)i);
                (hi << 16).StoreUnsafe(ref pd, (nuint)i + 8);
            }
        for (; i < dst.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(h[i] << 16);
    }

    // block_q8_0: f16 d, int8 q[32]; x = d·q
    private static void DecodeQ8_0(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            var blk = src.Slice(b * 34, 34);
            float d = Half(blk, 0);
            var q = MemoryMarshal.Cast<byte, sbyte>(blk[2..]);
            var y = dst.Slice(b * 32, 32);
            for (int j = 0; j < 32; j++) y[j] = d * q[j];
        }
    }

    // block_q4_0: f16 d, 16 bytes; element j = low nibble of byte j, j+16 = high nibble; x = d·(nib − 8)
    private static void DecodeQ4_0(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 32; b++)
        {
            var blk = src.Slice(b * 18, 18);
            float d = Half(blk, 0);
            var y = dst.Slice(b * 32, 32);
            for (int j = 0; j < 16; j++)
            {
                y[j] = d * ((blk[2 + j] & 0xF) - 8);
                y[j + 16] = d * ((blk[2 + j] >> 4) - 8);
            }
        }
    }

    // Q4_K/Q5_K: 8 sub-blocks of 32, each with a 6-bit scale and 6-bit min packed into 12 bytes.
    internal static (int Scale, int Min) ScaleMinK4(int j, ReadOnlySpan<byte> s) => j < 4
        ? (s[j] & 63, s[j + 4] & 63)
        : ((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4));

    // block_q4_K (144 B): f16 d, f16 dmin, scales[12], qs[128]; per 64 values: low nibbles then high nibbles
    private static void DecodeQ4K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            var blk = src.Slice(b * 144, 144);
            float d = Half(blk, 0), dmin = Half(blk, 2);
            var scales = blk.Slice(4, 12);
            var qs = blk.Slice(16, 128);
            var y = dst.Slice(b * 256, 256);
            for (int c = 0; c < 4; c++)
            {
                var (sc1, m1) = ScaleMinK4(2 * c, scales);
                var (sc2, m2) = ScaleMinK4(2 * c + 1, scales);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                var q = qs.Slice(32 * c, 32);
                var lo = y.Slice(64 * c, 32);
                var hi = y.Slice(64 * c + 32, 32);
                for (int l = 0; l < 32; l++)
                {
                    lo[l] = d1 * (q[l] & 0xF) - min1;
                    hi[l] = d2 * (q[l] >> 4) - min2;
                }
            }
        }
    }

    // block_q5_K (176 B): f16 d, f16 dmin, scales[12], qh[32], qs[128]; 5th bit of chunk c from qh bits 2c, 2c+1
    private static void DecodeQ5K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            var blk = src.Slice(b * 176, 176);
            float d = Half(blk, 0), dmin = Half(blk, 2);
            var scales = blk.Slice(4, 12);
            var qh = blk.Slice(16, 32);
            var qs = blk.Slice(48, 128);
            var y = dst.Slice(b * 256, 256);
            for (int c = 0; c < 4; c++)
            {
                var (sc1, m1) = ScaleMinK4(2 * c, scales);
                var (sc2, m2) = ScaleMinK4(2 * c + 1, scales);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                int bitLo = 1 << (2 * c), bitHi = 2 << (2 * c);
                var q = qs.Slice(32 * c, 32);
                var lo = y.Slice(64 * c, 32);
                var hi = y.Slice(64 * c + 32, 32);
                for (int l = 0; l < 32; l++)
                {
                    lo[l] = d1 * ((q[l] & 0xF) + ((qh[l] & bitLo) != 0 ? 16 : 0)) - min1;
                    hi[l] = d2 * ((q[l] >> 4) + ((qh[l] & bitHi) != 0 ? 16 : 0)) - min2;
                }
            }
        }
    }

    // block_q6_K (210 B): ql[128], qh[64], int8 scales[16], f16 d; x = d·scale·(q6 − 32)
    private static void DecodeQ6K(ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int b = 0; b < dst.Length / 256; b++)
        {
            var blk = src.Slice(b * 210, 210);
            float d = Half(blk, 208);
            var sc = MemoryMarshal.Cast<byte, sbyte>(blk.Slice(192, 16));
            for (int n = 0; n < 2; n++)
            {
                var ql = blk.Slice(64 * n, 64);
                var qh = blk.Slice(128 + 32 * n, 32);
                var y = dst.Slice(b * 256 + 128 * n, 128);
                int s0 = 8 * n;
                for (int l = 0; l < 32; l++)
                {
                    int i = s0 + l / 16;
                    y[l] = d * sc[i] * (((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32);
                    y[l + 32] = d * sc[i + 2] * (((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                    y[l + 64] = d * sc[i + 4] * (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                    y[l + 96] = d * sc[i + 6] * (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
                }
            }
        }
    }
}
