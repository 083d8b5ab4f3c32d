/* AVX-512F microkernel, 14 x 32 tile: 28 zmm accumulators, 2 for the B row, 1 broadcast of A
 * (31 of 32 registers). Written with fixed-trip loops over arrays of __m512 that GCC fully
 * unrolls into registers at -O3. Dispatched only when rc_isa_active() == RC_ISA_AVX512. */
#include <immintrin.h>

#include "gemm/block_prefetch.h"
#include "gemm/gemm.h"

#define MR 14
#define NR 32

/* prefetching: a line of the next block (*pf, which has lines left) per k step. */
static inline __attribute__((always_inline)) void full_tile(int64_t k, const float *restrict a,
                                                            const float *restrict b, float beta,
                                                            float *restrict c, int64_t ldc,
                                                            rc_block_prefetch *pf,
                                                            const int prefetching) {
    rc_block_prefetch next = {0};
    if (prefetching) next = *pf;
    __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm512_setzero_ps();
        acc1[i] = _mm512_setzero_ps();
    }
    for (int64_t p = 0; p < k; p++) {
        if (prefetching) rc_block_prefetch_line(&next);
        __m512 b0 = _mm512_load_ps(b + p * NR), b1 = _mm512_load_ps(b + p * NR + 16);
        const float *ap = a + p * MR;
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(ap[i]);
            acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
        }
    }
    if (beta == 0.0f) {
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            _mm512_storeu_ps(c + i * ldc, acc0[i]);
            _mm512_storeu_ps(c + i * ldc + 16, acc1[i]);
        }
    } else {
        __m512 bv = _mm512_set1_ps(beta);
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            float *row = c + i * ldc;
            _mm512_storeu_ps(row, _mm512_fmadd_ps(bv, _mm512_loadu_ps(row), acc0[i]));
            _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(bv, _mm512_loadu_ps(row + 16), acc1[i]));
        }
    }
    if (prefetching) *pf = next;
}

/* Each variant in a function of its own, so that the plain one keeps its registers (inlined into
 * one function, the two loops shared a register allocation; in the AVX2 tile's try that spilled
 * accumulators in both). */
static __attribute__((noinline)) void tile_prefetching(int64_t k, const float *restrict a,
                                                       const float *restrict b, float beta,
                                                       float *restrict c, int64_t ldc,
                                                       rc_block_prefetch *pf) {
    full_tile(k, a, b, beta, c, ldc, pf, 1);
}

static __attribute__((noinline)) void tile_plain(int64_t k, const float *restrict a,
                                                 const float *restrict b, float beta,
                                                 float *restrict c, int64_t ldc) {
    full_tile(k, a, b, beta, c, ldc, NULL, 0);
}

void rc_sgemm_ukernel_avx512_14x32(int64_t k, const float *restrict a, const float *restrict b,
                                   float beta, float *restrict c, int64_t ldc,
                                   struct rc_block_prefetch *pf) {
    if (pf && rc_block_prefetch_pending(pf)) tile_prefetching(k, a, b, beta, c, ldc, pf);
    else tile_plain(k, a, b, beta, c, ldc);
}

/* One k step of short_tile: the first `rows` rows of A's column p times B's row p, added into
 * one set of accumulators. */
static inline __attribute__((always_inline)) void short_step(__m512 acc[MR - 1][2],
                                                             const float *restrict a,
                                                             const float *restrict b, int64_t p,
                                                             const int rows) {
    const __m512 b0 = _mm512_load_ps(b + p * NR), b1 = _mm512_load_ps(b + p * NR + 16);
#pragma GCC unroll 13
    for (int i = 0; i < rows; i++) {
        const __m512 av = _mm512_set1_ps(a[p * MR + i]);
        acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
}

/* The first `rows` rows of the tile (the A panel still MR = 14 wide), for the last row panel
 * of an M that is not a multiple of 14 (64 = 4 x 14 + 8, 128 = 9 x 14 + 2): only those rows'
 * FMAs, stored straight into C where the full kernel would compute 14 rows into a scratch
 * tile. Up to 3 rows keep two sets of accumulators, for even and odd k, so that 2 and 3 rows
 * (the last panel of 128 or 576 rows) have 8 and 12 FMA chains to cover the latency (1 row, 4). */
static inline __attribute__((always_inline)) void short_tile(int64_t k, const float *restrict a,
                                                             const float *restrict b, float beta,
                                                             float *restrict c, int64_t ldc,
                                                             const int rows) {
    const int sets = rows <= 3 ? 2 : 1;
    __m512 acc[2][MR - 1][2];
#pragma GCC unroll 13
    for (int i = 0; i < rows; i++)
        acc[0][i][0] = acc[0][i][1] = acc[1][i][0] = acc[1][i][1] = _mm512_setzero_ps();
    int64_t p = 0;
    if (sets == 2)
        for (; p + 2 <= k; p += 2) {
            short_step(acc[0], a, b, p, rows);
            short_step(acc[1], a, b, p + 1, rows);
        }
#pragma GCC unroll 2
    for (; p < k; p++) short_step(acc[0], a, b, p, rows);
#pragma GCC unroll 13
    for (int i = 0; i < rows; i++) {
        float *row = c + i * ldc;
        __m512 v0 = acc[0][i][0], v1 = acc[0][i][1];
        if (sets == 2) v0 = _mm512_add_ps(v0, acc[1][i][0]), v1 = _mm512_add_ps(v1, acc[1][i][1]);
        if (beta != 0.0f) {
            __m512 bv = _mm512_set1_ps(beta);
            v0 = _mm512_fmadd_ps(bv, _mm512_loadu_ps(row), v0);
            v1 = _mm512_fmadd_ps(bv, _mm512_loadu_ps(row + 16), v1);
        }
        _mm512_storeu_ps(row, v0);
        _mm512_storeu_ps(row + 16, v1);
    }
}

void rc_sgemm_ukernel_avx512_short_14x32(int64_t k, const float *restrict a, const float *restrict b,
                                         float beta, float *restrict c, int64_t ldc, int rows) {
    switch (rows) {
    case 1: short_tile(k, a, b, beta, c, ldc, 1); break;
    case 2: short_tile(k, a, b, beta, c, ldc, 2); break;
    case 3: short_tile(k, a, b, beta, c, ldc, 3); break;
    case 4: short_tile(k, a, b, beta, c, ldc, 4); break;
    case 5: short_tile(k, a, b, beta, c, ldc, 5); break;
    case 6: short_tile(k, a, b, beta, c, ldc, 6); break;
    case 7: short_tile(k, a, b, beta, c, ldc, 7); break;
    case 8: short_tile(k, a, b, beta, c, ldc, 8); break;
    case 9: short_tile(k, a, b, beta, c, ldc, 9); break;
    case 10: short_tile(k, a, b, beta, c, ldc, 10); break;
    case 11: short_tile(k, a, b, beta, c, ldc, 11); break;
    case 12: short_tile(k, a, b, beta, c, ldc, 12); break;
    default: short_tile(k, a, b, beta, c, ldc, 13); break;
    }
}

/* The first `cols` (1 to 16) columns of a tile, from the left half of the B panel (zero past
 * cols), for a last column panel of C that is at most half used (N = 196 against NR = 32):
 * half the FMAs of the full kernel, and a masked store straight into C where the full kernel
 * would compute into a scratch tile. Rows past `rows` are computed but not stored; 14 FMA
 * chains, one per row. */
void rc_sgemm_ukernel_avx512_narrow_14x16(int64_t k, const float *restrict a, const float *restrict b,
                                          float beta, float *restrict c, int64_t ldc, int rows,
                                          int cols) {
    __m512 acc[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) acc[i] = _mm512_setzero_ps();
#pragma GCC unroll 2
    for (int64_t p = 0; p < k; p++) {
        const __m512 b0 = _mm512_load_ps(b + p * NR);
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[p * MR + i]), b0, acc[i]);
    }
    const __mmask16 mask = (__mmask16)((1u << cols) - 1u);
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) { /* constant indices keep acc in registers */
        if (i >= rows) break;
        __m512 v = acc[i];
        float *row = c + i * ldc;
        if (beta != 0.0f) v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, row), v);
        _mm512_mask_storeu_ps(row, mask, v);
    }
}
