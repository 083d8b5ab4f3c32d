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

/* Row-major A into MR = 6 panels: 8 columns of the 6 rows are transposed in registers (two
 * zero rows pad the 8 x 8 block), then each column's 6 values are stored as 4 + 2. The
 * portable packer gathers one float at a time from 6 row streams. */
void rc_sgemm_pack_a6_avx2(int64_t kc, int64_t panels, float alpha, const float *a, int64_t lda,
                           float *ap) {
    const __m256 scale = _mm256_set1_ps(alpha);
    for (int64_t q = 0; q < panels; q++) {
        const float *src = a + q * 6 * lda;
        float *dst = ap + q * 6 * kc;
        int64_t p = 0;
        for (; p + 8 <= kc; p += 8) {
            __m256 r[8];
            for (int i = 0; i < 6; i++) r[i] = _mm256_mul_ps(scale, _mm256_loadu_ps(src + i * lda + p));
            r[6] = r[7] = _mm256_setzero_ps();
            transpose8(r);
            for (int j = 0; j < 8; j++) {
                float *col = dst + (p + j) * 6;
                _mm_storeu_ps(col, _mm256_castps256_ps128(r[j]));
                _mm_storel_pi((__m64 *)(col + 4), _mm256_extractf128_ps(r[j], 1));
            }
        }
        for (; p < kc; p++)
            for (int i = 0; i < 6; i++) dst[p * 6 + i] = alpha * src[i * lda + p];
    }
}
