/* AVX2 + FMA microkernel, 6 x 16 tile: 12 ymm accumulators, 2 for the B row, 1 broadcast of A.
 * Per k step: 2 aligned loads of B, 6 broadcasts of A, 12 FMAs (enough independent chains to
 * cover the FMA latency on two FMA ports). */
#include <immintrin.h>

#include "gemm/gemm.h"

#define MR 6
#define NR 16

/* pf is left to the driver: prefetching a line every two k steps in here measured 0.99-1.02x on
 * the streaming shapes (the AVX-512 tile's 1.04-1.14x), and the extra registers spilled two
 * accumulators. */
void rc_sgemm_ukernel_avx2_6x16(int64_t k, const float *restrict a, const float *restrict b,
                                float beta, float *restrict c, int64_t ldc,
                                struct rc_block_prefetch *pf) {
    (void)pf;
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int i = 0; i < MR; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);

#define RC_STEP(P)                                                                   \
    do {                                                                             \
        const float *ap = a + (P) * MR;                                              \
        __m256 b0 = _mm256_load_ps(b + (P) * NR), b1 = _mm256_load_ps(b + (P) * NR + 8); \
        __m256 av = _mm256_broadcast_ss(ap + 0);                                     \
        c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);      \
        av = _mm256_broadcast_ss(ap + 1);                                            \
        c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);      \
        av = _mm256_broadcast_ss(ap + 2);                                            \
        c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);      \
        av = _mm256_broadcast_ss(ap + 3);                                            \
        c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);      \
        av = _mm256_broadcast_ss(ap + 4);                                            \
        c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);      \
        av = _mm256_broadcast_ss(ap + 5);                                            \
        c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);      \
    } while (0)

    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
        _mm_prefetch((const char *)(a + (p + 8) * MR), _MM_HINT_T0);
        RC_STEP(p);
        RC_STEP(p + 1);
        RC_STEP(p + 2);
        RC_STEP(p + 3);
    }
    for (; p < k; p++) RC_STEP(p);
#undef RC_STEP

#define RC_STORE(I, X0, X1)                                                          \
    do {                                                                             \
        float *row = c + (I) * ldc;                                                  \
        if (beta == 0.0f) {                                                          \
            _mm256_storeu_ps(row, X0);                                               \
            _mm256_storeu_ps(row + 8, X1);                                           \
        } else {                                                                     \
            __m256 bv = _mm256_set1_ps(beta);                                        \
            _mm256_storeu_ps(row, _mm256_fmadd_ps(bv, _mm256_loadu_ps(row), X0));    \
            _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(bv, _mm256_loadu_ps(row + 8), X1)); \
        }                                                                            \
    } while (0)
    RC_STORE(0, c00, c01);
    RC_STORE(1, c10, c11);
    RC_STORE(2, c20, c21);
    RC_STORE(3, c30, c31);
    RC_STORE(4, c40, c41);
    RC_STORE(5, c50, c51);
#undef RC_STORE
}

/* The first `rows` rows of the tile (the A panel still MR = 6 wide), for the last row panel
 * of an M that is not a multiple of 6 (64 = 10 x 6 + 4): it skips the padded rows' FMAs and
 * stores straight into C, where the full kernel would go through a scratch tile. */
static inline __attribute__((always_inline)) void short_tile(int64_t k, const float *restrict a,
                                                             const float *restrict b, float beta,
                                                             float *restrict c, int64_t ldc,
                                                             const int rows) {
    __m256 acc[MR - 1][2];
#pragma GCC unroll 8
    for (int i = 0; i < rows; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int64_t p = 0; p < k; p++) {
        __m256 b0 = _mm256_load_ps(b + p * NR), b1 = _mm256_load_ps(b + p * NR + 8);
#pragma GCC unroll 8
        for (int i = 0; i < rows; i++) {
            __m256 av = _mm256_broadcast_ss(a + p * MR + i);
            acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        if (beta != 0.0f) {
            __m256 bv = _mm256_set1_ps(beta);
            acc[i][0] = _mm256_fmadd_ps(bv, _mm256_loadu_ps(row), acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(bv, _mm256_loadu_ps(row + 8), acc[i][1]);
        }
        _mm256_storeu_ps(row, acc[i][0]);
        _mm256_storeu_ps(row + 8, acc[i][1]);
    }
}

void rc_sgemm_ukernel_avx2_short_6x16(int64_t k, const float *restrict a, const float *restrict b,
                                      float beta, float *restrict c, int64_t ldc, int rows) {
    switch (rows) {
    case 1: short_tile(k, a, b, beta, c, ldc, 1); break;
    case 2: short_tile(k, a, b, beta, c, ldc, 2); break;
    case 3: short_tile(k, a, b, beta, c, ldc, 3); break;
    case 4: short_tile(k, a, b, beta, c, ldc, 4); break;
    default: short_tile(k, a, b, beta, c, ldc, 5); break;
    }
}

/* The first `cols` (1 to 8) columns of a tile, from the left half of the B panel (zero past
 * cols), for a last column panel of C that is at most half used (N = 49 or 196 against NR =
 * 16): half the FMAs of the full kernel, and a masked store straight into C where the full
 * kernel would compute into a scratch tile. Rows past `rows` are computed but not stored. Two
 * sets of accumulators, for even and odd k, keep 12 FMA chains in flight. */
void rc_sgemm_ukernel_avx2_narrow_6x8(int64_t k, const float *restrict a, const float *restrict b,
                                      float beta, float *restrict c, int64_t ldc, int rows,
                                      int cols) {
    __m256 acc[2][MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) acc[0][i] = acc[1][i] = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 2 <= k; p += 2) {
        const __m256 b0 = _mm256_load_ps(b + p * NR), b1 = _mm256_load_ps(b + (p + 1) * NR);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            acc[0][i] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + p * MR + i), b0, acc[0][i]);
            acc[1][i] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + (p + 1) * MR + i), b1, acc[1][i]);
        }
    }
    if (p < k) {
        const __m256 b0 = _mm256_load_ps(b + p * NR);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++)
            acc[0][i] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + p * MR + i), b0, acc[0][i]);
    }
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) { /* constant indices keep acc in registers */
        if (i >= rows) break;
        __m256 v = _mm256_add_ps(acc[0][i], acc[1][i]);
        float *row = c + i * ldc;
        if (beta != 0.0f) v = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_maskload_ps(row, mask), v);
        _mm256_maskstore_ps(row, mask, v);
    }
}
