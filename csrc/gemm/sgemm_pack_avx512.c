/* AVX-512 packers for the 14 x 32 tile: a transposed B (stored N x K) into NR = 32 panels and
 * a row-major A into MR = 14 panels (the last one zero-padded) move 16 x 16 blocks through
 * registers, transposed by 64 shuffles, so reads and writes are whole vectors where the
 * portable packers move one float at a time with a strided store or gather. A row-major B's
 * whole panels are copied a row (two zmm) at a time (1.03-1.05x on the NN products of
 * ResNet-50's 56x56 layers against the portable build's 16-byte moves). */
#include <immintrin.h>

#include "gemm/gemm.h"
#include "gemm/pack_b_rows.h"

/* r[i] = row i of a 16 x 16 block; afterwards r[j] = column j. Unpacks and in-lane shuffles
 * give, in lane L of u[4g + c], rows 4g..4g+3 of column 4L + c; two rounds of 128-bit lane
 * shuffles gather each column's four lanes. */
static inline void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int g = 0; g < 16; g += 4) {
        u[g] = _mm512_shuffle_ps(t[g], t[g + 2], 0x44);
        u[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], 0xEE);
        u[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
        u[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
    }
    for (int c = 0; c < 4; c++) {
        __m512 lo01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), hi01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
        __m512 lo23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44), hi23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
        r[c] = _mm512_shuffle_f32x4(lo01, lo23, 0x88);
        r[4 + c] = _mm512_shuffle_f32x4(lo01, lo23, 0xDD);
        r[8 + c] = _mm512_shuffle_f32x4(hi01, hi23, 0x88);
        r[12 + c] = _mm512_shuffle_f32x4(hi01, hi23, 0xDD);
    }
}

void rc_sgemm_pack_bt32_avx512(int64_t kc, int64_t panels, const float *b, int64_t ldb, float *bp) {
    for (int64_t q = 0; q < panels; q++) {
        float *dst = bp + q * 32 * kc;
        for (int half = 0; half < 2; half++) {
            const float *src = b + (q * 32 + half * 16) * ldb;
            int64_t p = 0;
            for (; p + 16 <= kc; p += 16) {
                __m512 r[16];
                for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * ldb + p);
                transpose16(r);
                for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + (p + i) * 32 + half * 16, r[i]);
            }
            for (; p < kc; p++)
                for (int i = 0; i < 16; i++) dst[p * 32 + half * 16 + i] = src[i * ldb + p];
        }
    }
}

/* One panel of `live` (1 to 14) rows, sixteen columns at a time: rows past `live` and rows 14
 * and 15 of the block are zeros, and each column's 14 floats are a masked store (a full one
 * would spill into the next panel). always_inline: full panels get a copy with live = 14. */
static inline __attribute__((always_inline)) void pack_a14_panel(int64_t kc, int live, float alpha,
                                                                 const float *src, int64_t lda,
                                                                 float *dst) {
    const __m512 scale = _mm512_set1_ps(alpha);
    const __mmask16 rows14 = 0x3FFF;
    int64_t p = 0;
    for (; p + 16 <= kc; p += 16) {
        __m512 r[16];
        for (int i = 0; i < 16; i++)
            r[i] = i < live ? _mm512_loadu_ps(src + i * lda + p) : _mm512_setzero_ps();
        if (alpha != 1.0f)
            for (int i = 0; i < 16; i++)
                if (i < live) r[i] = _mm512_mul_ps(scale, r[i]);
        transpose16(r);
        for (int i = 0; i < 16; i++) _mm512_mask_storeu_ps(dst + (p + i) * 14, rows14, r[i]);
    }
    for (; p < kc; p++)
        for (int i = 0; i < 14; i++) dst[p * 14 + i] = i < live ? alpha * src[i * lda + p] : 0.0f;
}

void rc_sgemm_pack_a14_avx512(int64_t kc, int rows, float alpha, const float *a, int64_t lda,
                              float *ap) {
    if (rows == 14) pack_a14_panel(kc, 14, alpha, a, lda, ap);
    else pack_a14_panel(kc, rows, alpha, a, lda, ap);
}

void rc_sgemm_pack_b32_avx512(int64_t kc, int64_t panels, const float *b, int64_t ldb, float *bp) {
    pack_b_full_panels(kc, panels, b, ldb, 32, bp);
}
