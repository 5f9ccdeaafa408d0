using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepSharp.Kernels.Attention;

/// <summary>
/// <see cref="TiledAttention"/>'s two small matrix products on 512-bit vectors: 4 query rows × the tile's 64 keys, and
/// 4 output rows × 64 value lanes, each in 16 accumulators. Every score and every output lane is still one fused
/// multiply-add chain in the same order (over the head dimension, over the tile's positions), only 16 lanes to an
/// instruction instead of 8: bit-identical to the 256-bit kernels and <see cref="TiledAttentionReference"/>.
/// </summary>
[SkipLocalsInit]
internal static class TiledAttentionAvx512
{
    private const int KvTile = TiledAttention.KvTile;

    /// <summary>s [4 rows, stride KvTile] [0..64) ← q_r · the tile's 64 keys (columns of keysT at kt).</summary>
    [MethodImpl(KernelLoop.Options)]
    public static void Scores4x64(ref float kt, int d, ref float q0, ref float q1, ref float q2, ref float q3, ref float s)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int i = 0; i < d; i++)
        {
            ref float k = ref Unsafe.Add(ref kt, i * KvTile);
            var (k0, k1, k2, k3) = Load4(ref k);
            var b = Vector512.Create(Unsafe.Add(ref q0, i));
            (a00, a01, a02, a03) = (Fma(b, k0, a00), Fma(b, k1, a01), Fma(b, k2, a02), Fma(b, k3, a03));
            b = Vector512.Create(Unsafe.Add(ref q1, i));
            (a10, a11, a12, a13) = (Fma(b, k0, a10), Fma(b, k1, a11), Fma(b, k2, a12), Fma(b, k3, a13));
            b = Vector512.Create(Unsafe.Add(ref q2, i));
            (a20, a21, a22, a23) = (Fma(b, k0, a20), Fma(b, k1, a21), Fma(b, k2, a22), Fma(b, k3, a23));
            b = Vector512.Create(Unsafe.Add(ref q3, i));
            (a30, a31, a32, a33) = (Fma(b, k0, a30), Fma(b, k1, a31), Fma(b, k2, a32), Fma(b, k3, a33));
        }
        Store4(ref s, a00, a01, a02, a03);
        Store4(ref Unsafe.Add(ref s, KvTile), a10, a11, a12, a13);
        Store4(ref Unsafe.Add(ref s, 2 * KvTile), a20, a21, a22, a23);
        Store4(ref Unsafe.Add(ref s, 3 * KvTile), a30, a31, a32, a33);
    }

    /// <summary>64 lanes of 4 output rows (score rows at p, stride KvTile) += Σ_j p[r, j] · v[j·dv ..], j &lt; nk.</summary>
    [MethodImpl(KernelLoop.Options)]
    public static void Accumulate4x64(ref float p, ref float v, int dv, int nk, ref float o0, ref float o1, ref float o2, ref float o3)
    {
        var (a00, a01, a02, a03) = Load4(ref o0);
        var (a10, a11, a12, a13) = Load4(ref o1);
        var (a20, a21, a22, a23) = Load4(ref o2);
        var (a30, a31, a32, a33) = Load4(ref o3);
        for (int j = 0; j < nk; j++)
        {
            var (v0, v1, v2, v3) = Load4(ref Unsafe.Add(ref v, j * dv));
            var b = Vector512.Create(Unsafe.Add(ref p, j));
            (a00, a01, a02, a03) = (Fma(b, v0, a00), Fma(b, v1, a01), Fma(b, v2, a02), Fma(b, v3, a03));
            b = Vector512.Create(Unsafe.Add(ref p, KvTile + j));
            (a10, a11, a12, a13) = (Fma(b, v0, a10), Fma(b, v1, a11), Fma(b, v2, a12), Fma(b, v3, a13));
            b = Vector512.Create(Unsafe.Add(ref p, 2 * KvTile + j));
            (a20, a21, a22, a23) = (Fma(b, v0, a20), Fma(b, v1, a21), Fma(b, v2, a22), Fma(b, v3, a23));
            b = Vector512.Create(Unsafe.Add(ref p, 3 * KvTile + j));
            (a30, a31, a32, a33) = (Fma(b, v0, a30), Fma(b, v1, a31), Fma(b, v2, a32), Fma(b, v3, a33));
        }
        Store4(ref o0, a00, a01, a02, a03);
        Store4(ref o1, a10, a11, a12, a13);
        Store4(ref o2, a20, a21, a22, a23);
        Store4(ref o3, a30, a31, a32, a33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Load4(ref float p) =>
        (Vector512.LoadUnsafe(ref p), Vector512.LoadUnsafe(ref p, 16), Vector512.LoadUnsafe(ref p, 32), Vector512.LoadUnsafe(ref p, 48));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(ref float p, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        a.StoreUnsafe(ref p);
        b.StoreUnsafe(ref p, 16);
        c.StoreUnsafe(ref p, 32);
        d.StoreUnsafe(ref p, 48);
    }
}
