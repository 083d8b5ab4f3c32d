/* AVX2 + FMA dot-product blocks for the skinny NT GEMM (sgemm_nt_dot.h). A 4 x 3 block keeps
 * 12 ymm accumulators and loads 7 vectors per 12 FMAs; edges use 1 x 3, 4 x 1 and 1 x 1. */
#include <immintrin.h>

#include "gemm/sgemm_nt_dot.h"

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline void store(float *dst, float sum, float alpha, float beta, int first) {
    float v = alpha * sum;
    if (!first) *dst += v;
    else *dst = beta == 0.0f ? v : v + beta * *dst;
}

#define RC_DOT_BLOCK(NAME, R, S)                                                                  \
    static inline void NAME(const float *a, int64_t lda, const float *b, int64_t ldb, int64_t kc, \
                            float alpha, float beta, int first, float *c, int64_t ldc) {          \
        __m256 acc[R][S];                                                                         \
        for (int r = 0; r < R; r++)                                                               \
            for (int s = 0; s < S; s++) acc[r][s] = _mm256_setzero_ps();                          \
        int64_t p = 0;                                                                            \
        for (; p + 8 <= kc; p += 8) {                                                             \
            __m256 bv[S];                                                                         \
            for (int s = 0; s < S; s++) bv[s] = _mm256_loadu_ps(b + s * ldb + p);                 \
            for (int r = 0; r < R; r++) {                                                         \
                __m256 av = _mm256_loadu_ps(a + r * lda + p);                                     \
                for (int s = 0; s < S; s++) acc[r][s] = _mm256_fmadd_ps(av, bv[s], acc[r][s]);    \
            }                                                                                     \
        }                                                                                         \
        for (int r = 0; r < R; r++)                                                               \
            for (int s = 0; s < S; s++) {                                                         \
                float sum = hsum(acc[r][s]);                                                      \
                for (int64_t q = p; q < kc; q++) sum += a[r * lda + q] * b[s * ldb + q];          \
                store(c + r * ldc + s, sum, alpha, beta, first);                                  \
            }                                                                                     \
    }

RC_DOT_BLOCK(block_4x3, 4, 3)
RC_DOT_BLOCK(block_1x3, 1, 3)
RC_DOT_BLOCK(block_4x1, 4, 1)
RC_DOT_BLOCK(block_1x1, 1, 1)

void rc_nt_dot_block_avx2(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t p0, int64_t kc,
                          float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                          float beta, int first, float *c, int64_t ldc) {
    int64_t i = i0;
    for (; i + 4 <= i1; i += 4) {
        int64_t j = j0;
        for (; j + 3 <= j1; j += 3)
            block_4x3(a + i * lda + p0, lda, b + j * ldb + p0, ldb, kc, alpha, beta, first,
                      c + i * ldc + j, ldc);
        for (; j < j1; j++)
            block_4x1(a + i * lda + p0, lda, b + j * ldb + p0, ldb, kc, alpha, beta, first,
                      c + i * ldc + j, ldc);
    }
    for (; i < i1; i++) {
        int64_t j = j0;
        for (; j + 3 <= j1; j += 3)
            block_1x3(a + i * lda + p0, lda, b + j * ldb + p0, ldb, kc, alpha, beta, first,
                      c + i * ldc + j, ldc);
        for (; j < j1; j++)
            block_1x1(a + i * lda + p0, lda, b + j * ldb + p0, ldb, kc, alpha, beta, first,
                      c + i * ldc + j, ldc);
    }
}
