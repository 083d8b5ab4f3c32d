/* AVX2 packing of a transposed B (B stored N x K, op(B) = B^T) into NR = 16 panels: 8 x 8
 * blocks are transposed in registers, so both the reads (along K) and the writes (along N)
 * are whole vectors. The portable packer moves one float at a time with a strided store.
 * Also a row-major A into MR = 6 panels. (A row-major B's panels are plain copies: the
 * portable packer's 16-byte moves run as fast as ymm ones there, 0.98-1.02x.) */
#include <immintrin.h>

#include "gemm/gemm.h"

/* q[j] = rows r0-r3 of column j in lane 0 and of column j + 4 in lane 1: a 4 x 4 transpose
 * within each 128-bit lane. */
static inline void transpose4_in_lanes(__m256 r0, __m256 r1, __m256 r2, __m256 r3, __m256 q[4]) {
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    q[0] = _mm256_shuffle_ps(t0, t2, 0x44), q[1] = _mm256_shuffle_ps(t0, t2, 0xEE);
    q[2] = _mm256_shuffle_ps(t1, t3, 0x44), q[3] = _mm256_shuffle_ps(t1, t3, 0xEE);
}

static inline void transpose8(__m256 r[8]) {
    __m256 lo[4], hi[4];
    transpose4_in_lanes(r[0], r[1], r[2], r[3], lo);
    transpose4_in_lanes(r[4], r[5], r[6], r[7], hi);
    for (int j = 0; j < 4; j++) {
        r[j] = _mm256_permute2f128_ps(lo[j], hi[j], 0x20);
        r[j + 4] = _mm256_permute2f128_ps(lo[j], hi[j], 0x31);
    }
}

void rc_sgemm_pack_bt16_avx2(int64_t kc, int64_t panels, const float *b, int64_t ldb, float *bp) {
    for (int64_t q = 0; q < panels; q++) {
        float *dst = bp + q * 16 * kc;
        for (int half = 0; half < 2; half++) {
            const float *src = b + (q * 16 + half * 8) * ldb;
            int64_t p = 0;
            for (; p + 8 <= kc; p += 8) {
                __m256 r[8];
                for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * ldb + p);
                transpose8(r);
                for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + (p + i) * 16 + half * 8, r[i]);
            }
            for (; p < kc; p++)
                for (int i = 0; i < 8; i++) dst[p * 16 + half * 8 + i] = src[i * ldb + p];
        }
    }
}

/* Six rows x eight columns into the panel's 48 floats (columns 0-7 of 6 values each). Rows
 * 0-3 are transposed 4 x 4 within each 128-bit lane (lane 0 holds columns 0-3, lane 1 columns
 * 4-7) and rows 4-5 interleaved in pairs; four columns' 24 floats are then three vectors,
 * each joined from two half-vectors: 20 shuffles and 6 stores, where a full 8 x 8 transpose
 * (two rows of zeros) with split stores took 32 shuffles and 16 stores (2.2x faster in L1). */
static inline void pack_6x8(const __m256 x[6], float *dst) {
    __m256 q[4];
    transpose4_in_lanes(x[0], x[1], x[2], x[3], q);
    __m256 r45_01 = _mm256_unpacklo_ps(x[4], x[5]), r45_23 = _mm256_unpackhi_ps(x[4], x[5]);
    /* the four-float pieces that straddle two columns: rows 4-5 of one, 0-1 or 2-3 of another */
    __m256 m1 = _mm256_shuffle_ps(r45_01, q[1], 0x44), m2 = _mm256_shuffle_ps(q[1], r45_01, 0xEE);
    __m256 m4 = _mm256_shuffle_ps(r45_23, q[3], 0x44), m5 = _mm256_shuffle_ps(q[3], r45_23, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(q[0], m1, 0x20));
    _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(m2, q[2], 0x20));
    _mm256_storeu_ps(dst + 16, _mm256_permute2f128_ps(m4, m5, 0x20));
    _mm256_storeu_ps(dst + 24, _mm256_permute2f128_ps(q[0], m1, 0x31));
    _mm256_storeu_ps(dst + 32, _mm256_permute2f128_ps(m2, q[2], 0x31));
    _mm256_storeu_ps(dst + 40, _mm256_permute2f128_ps(m4, m5, 0x31));
}

/* One panel of `live` (1 to 6) rows, eight columns at a time (pack_6x8); rows past `live` are
 * zeros. always_inline: full panels get a copy with live = 6. */
static inline __attribute__((always_inline)) void pack_a6_panel(int64_t kc, int live, float alpha,
                                                                const float *src, int64_t lda,
                                                                float *dst) {
    const __m256 scale = _mm256_set1_ps(alpha);
    int64_t p = 0;
    if (alpha == 1.0f) /* the convolutions' case: no multiplies */
        for (; p + 8 <= kc; p += 8) {
            __m256 x[6];
            for (int i = 0; i < 6; i++) x[i] = i < live ? _mm256_loadu_ps(src + i * lda + p) : _mm256_setzero_ps();
            pack_6x8(x, dst + p * 6);
        }
    else
        for (; p + 8 <= kc; p += 8) {
            __m256 x[6];
            for (int i = 0; i < 6; i++)
                x[i] = i < live ? _mm256_mul_ps(scale, _mm256_loadu_ps(src + i * lda + p)) : _mm256_setzero_ps();
            pack_6x8(x, dst + p * 6);
        }
    for (; p < kc; p++)
        for (int i = 0; i < 6; i++) dst[p * 6 + i] = i < live ? alpha * src[i * lda + p] : 0.0f;
}

/* One panel of a row-major A (see rc_sgemm_pack_a), where the portable packer gathers one
 * float at a time from 6 row streams. */
void rc_sgemm_pack_a6_avx2(int64_t kc, int rows, float alpha, const float *a, int64_t lda,
                           float *ap) {
    if (rows == 6) pack_a6_panel(kc, 6, alpha, a, lda, ap);
    else pack_a6_panel(kc, rows, alpha, a, lda, ap);
}
