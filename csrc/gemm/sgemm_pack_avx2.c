/* AVX2 packing of a transposed B (B stored N x K, op(B) = B^T) into NR = 16 panels: 8 x 8
 * blocks are transposed in registers, so both the reads (along K) and the writes (along N)
 * are whole vectors. The portable packer moves one float at a time with a strided store. */
#include <immintrin.h>

#include "gemm/gemm.h"

static inline void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
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
 * each joined from two half-vectors: 18 shuffles and 6 stores, where a full 8 x 8 transpose
 * (two rows of zeros) with split stores took 32 shuffles and 16 stores (2.2x faster in L1). */
static inline void pack_6x8(const __m256 x[6], float *dst) {
    __m256 t0 = _mm256_unpacklo_ps(x[0], x[1]), t1 = _mm256_unpackhi_ps(x[0], x[1]);
    __m256 t2 = _mm256_unpacklo_ps(x[2], x[3]), t3 = _mm256_unpackhi_ps(x[2], x[3]);
    __m256 r45_01 = _mm256_unpacklo_ps(x[4], x[5]), r45_23 = _mm256_unpackhi_ps(x[4], x[5]);
    /* qj: rows 0-3 of column j (lane 0) and j + 4 (lane 1) */
    __m256 q0 = _mm256_shuffle_ps(t0, t2, 0x44), q1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 q2 = _mm256_shuffle_ps(t1, t3, 0x44), q3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    /* the four-float pieces that straddle two columns: rows 4-5 of one, 0-1 or 2-3 of another */
    __m256 m1 = _mm256_shuffle_ps(r45_01, q1, 0x44), m2 = _mm256_shuffle_ps(q1, r45_01, 0xEE);
    __m256 m4 = _mm256_shuffle_ps(r45_23, q3, 0x44), m5 = _mm256_shuffle_ps(q3, r45_23, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(q0, m1, 0x20));
    _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(m2, q2, 0x20));
    _mm256_storeu_ps(dst + 16, _mm256_permute2f128_ps(m4, m5, 0x20));
    _mm256_storeu_ps(dst + 24, _mm256_permute2f128_ps(q0, m1, 0x31));
    _mm256_storeu_ps(dst + 32, _mm256_permute2f128_ps(m2, q2, 0x31));
    _mm256_storeu_ps(dst + 40, _mm256_permute2f128_ps(m4, m5, 0x31));
}

/* Row-major A into MR = 6 panels, eight columns of the 6 rows at a time (pack_6x8). The
 * portable packer gathers one float at a time from 6 row streams. */
void rc_sgemm_pack_a6_avx2(int64_t kc, int64_t panels, float alpha, const float *a, int64_t lda,
                           float *ap) {
    const __m256 scale = _mm256_set1_ps(alpha);
    for (int64_t q = 0; q < panels; q++) {
        const float *src = a + q * 6 * lda;
        float *dst = ap + q * 6 * kc;
        int64_t p = 0;
        if (alpha == 1.0f) /* the convolutions' case: no multiplies */
            for (; p + 8 <= kc; p += 8) {
                __m256 x[6];
                for (int i = 0; i < 6; i++) x[i] = _mm256_loadu_ps(src + i * lda + p);
                pack_6x8(x, dst + p * 6);
            }
        else
            for (; p + 8 <= kc; p += 8) {
                __m256 x[6];
                for (int i = 0; i < 6; i++) x[i] = _mm256_mul_ps(scale, _mm256_loadu_ps(src + i * lda + p));
                pack_6x8(x, dst + p * 6);
            }
        for (; p < kc; p++)
            for (int i = 0; i < 6; i++) dst[p * 6 + i] = alpha * src[i * lda + p];
    }
}
