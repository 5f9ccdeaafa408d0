using System.Runtime.Intrinsics;

namespace DeepSharp.Kernels.Float;

/// <summary>
/// Single-precision matrix product C[m, n] (+)= A[m, k] · B[k, n], all row-major and densely packed, computed one
/// rectangle of C at a time so callers can split C across threads. A register-blocked micro-kernel keeps a 6 × 16
/// tile of C in twelve vector registers while it walks the depth (one broadcast of A and two loads of B per six
/// FMA pairs); the depth is cut into blocks so the 16-column strip of B it reuses stays in L1.
/// <see cref="Reference"/> is the plain triple loop the tests compare against.
/// </summary>
public static unsafe class FloatGemm
{
    /// <summary>Rows of C one micro-kernel call computes; tile heights that are multiples of it waste nothing.</summary>
    public const int RowTile = 6;

    private const int ColTile = 16;
    private const int DepthBlock = 256;

    /// <summary>C[rows, cols] of the rectangle (+)= A · B; <paramref name="accumulate"/> false overwrites it.</summary>
    public static void MultiplyRect(
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int k, int n,
        int rowStart, int rowEnd, int colStart, int colEnd, bool accumulate)
    {
        if (k < 0 || n < 0 || rowStart < 0 || rowEnd < rowStart || colStart < 0 || colEnd < colStart || colEnd > n
            || a.Length < (long)rowEnd * k || b.Length < (long)k * n || c.Length < (long)rowEnd * n)
        {
            throw new ArgumentException($"Gemm: rows [{rowStart}, {rowEnd}) cols [{colStart}, {colEnd}) of a [{a.Length}] · b [{b.Length}] → c [{c.Length}] with k {k}, n {n} do not fit.");
        }

        if (!accumulate)
        {
            for (int i = rowStart; i < rowEnd; i++)
            {
                c.Slice(i * n + colStart, colEnd - colStart).Clear();
            }
        }

        if (rowEnd == rowStart || colEnd == colStart || k == 0)
        {
            return;
        }

        bool vector = Vector256.IsHardwareAccelerated;
        int vectorEnd = vector ? colStart + (colEnd - colStart) / ColTile * ColTile : colStart;
        fixed (float* pa = a, pb = b, pc = c)
        {
            for (int k0 = 0; k0 < k; k0 += DepthBlock)
            {
                int depth = Math.Min(DepthBlock, k - k0);
                for (int j = colStart; j < vectorEnd; j += ColTile)
                {
                    for (int i = rowStart; i < rowEnd; i += RowTile)
                    {
                        Tile(pa + (long)i * k + k0, k, Math.Min(RowTile, rowEnd - i), pb + (long)k0 * n + j, n, pc + (long)i * n + j, depth);
                    }
                }

                ScalarColumns(pa, pb, pc, k, n, k0, depth, rowStart, rowEnd, vectorEnd, colEnd);
            }
        }
    }

    /// <summary>The definition, one dot product per element (test oracle).</summary>
    public static void Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = accumulate ? c[i * n + j] : 0f;
                for (int p = 0; p < k; p++)
                {
                    sum += a[i * k + p] * b[p * n + j];
                }

                c[i * n + j] = sum;
            }
        }
    }

    private static void ScalarColumns(float* a, float* b, float* c, int k, int n, int k0, int depth, int rowStart, int rowEnd, int colStart, int colEnd)
    {
        for (int i = rowStart; i < rowEnd; i++)
        {
            for (int j = colStart; j < colEnd; j++)
            {
                float sum = 0;
                for (int p = k0; p < k0 + depth; p++)
                {
                    sum += a[(long)i * k + p] * b[(long)p * n + j];
                }

                c[(long)i * n + j] += sum;
            }
        }
    }

    // C[rows ≤ 6, 16] += A[rows, depth] · B[depth, 16]. Missing rows read the last real row of A (so the loop has no
    // branches) and are never stored.
    private static void Tile(float* a, int lda, int rows, float* b, int ldb, float* c, int depth)
    {
        float* a0 = a, a1 = a + lda * Math.Min(1, rows - 1), a2 = a + lda * Math.Min(2, rows - 1);
        float* a3 = a + lda * Math.Min(3, rows - 1), a4 = a + lda * Math.Min(4, rows - 1), a5 = a + lda * Math.Min(5, rows - 1);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < depth; p++)
        {
            float* bp = b + (long)p * ldb;
            Vector256<float> b0 = Vector256.Load(bp), b1 = Vector256.Load(bp + 8);
            Vector256<float> x = Vector256.Create(a0[p]);
            c00 = Vector256.MultiplyAddEstimate(x, b0, c00);
            c01 = Vector256.MultiplyAddEstimate(x, b1, c01);
            x = Vector256.Create(a1[p]);
            c10 = Vector256.MultiplyAddEstimate(x, b0, c10);
            c11 = Vector256.MultiplyAddEstimate(x, b1, c11);
            x = Vector256.Create(a2[p]);
            c20 = Vector256.MultiplyAddEstimate(x, b0, c20);
            c21 = Vector256.MultiplyAddEstimate(x, b1, c21);
            x = Vector256.Create(a3[p]);
            c30 = Vector256.MultiplyAddEstimate(x, b0, c30);
            c31 = Vector256.MultiplyAddEstimate(x, b1, c31);
            x = Vector256.Create(a4[p]);
            c40 = Vector256.MultiplyAddEstimate(x, b0, c40);
            c41 = Vector256.MultiplyAddEstimate(x, b1, c41);
            x = Vector256.Create(a5[p]);
            c50 = Vector256.MultiplyAddEstimate(x, b0, c50);
            c51 = Vector256.MultiplyAddEstimate(x, b1, c51);
        }

        AddRow(c, c00, c01);
        if (rows > 1)
        {
            AddRow(c + ldb, c10, c11);
        }

        if (rows > 2)
        {
            AddRow(c + 2 * ldb, c20, c21);
        }

        if (rows > 3)
        {
            AddRow(c + 3 * ldb, c30, c31);
        }

        if (rows > 4)
        {
            AddRow(c + 4 * ldb, c40, c41);
        }

        if (rows > 5)
        {
            AddRow(c + 5 * ldb, c50, c51);
        }

    }

    private static void AddRow(float* c, Vector256<float> lo, Vector256<float> hi)
    {
        (Vector256.Load(c) + lo).Store(c);
        (Vector256.Load(c + 8) + hi).Store(c + 8);
    }
}
