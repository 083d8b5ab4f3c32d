/* AVX2 resampling passes (see resample_avx2.h). Pillow's 8-bit arithmetic: sums of
 * pixel * 22-bit weight in int32 from a rounding bias, >> 22, clipped to 0..255 (the packs
 * saturate exactly as the clip does). */
#include "image/resample_avx2.h"

#include <immintrin.h>
#include <string.h>

#define PRECISION_BITS (32 - 8 - 2)

static inline __m256i load_rgb_pair(const uint8_t *p, const uint8_t *q) {
    int32_t a, b;
    memcpy(&a, p, 4);  /* r, g, b and one byte that is multiplied but never kept */
    memcpy(&b, q, 4);
    return _mm256_cvtepu8_epi32(_mm_unpacklo_epi32(_mm_cvtsi32_si128(a), _mm_cvtsi32_si128(b)));
}

static inline void store3(uint8_t *dst, uint32_t v, int last) {
    if (!last) {
        memcpy(dst, &v, 4);  /* the 4th byte is overwritten by the next pixel */
    } else {
        dst[0] = (uint8_t)v;
        dst[1] = (uint8_t)(v >> 8);
        dst[2] = (uint8_t)(v >> 16);
    }
}

/* Lanes 0-3: (r, g, b, x) of row 0, lanes 4-7: of row 1. */
static inline void horizontal_pair(uint8_t *dst0, uint8_t *dst1, const uint8_t *src0, const uint8_t *src1,
                                   const rc_axis_weights *wx) {
    int ow = wx->count, ks = wx->ksize;
    const __m256i bias = _mm256_set1_epi32(1 << (PRECISION_BITS - 1));
    for (int xx = 0; xx < ow; xx++) {
        int xmin = wx->bounds[2 * xx], n = wx->bounds[2 * xx + 1];
        const int32_t *k = &wx->fixed[(size_t)xx * ks];
        const uint8_t *p = src0 + (size_t)xmin * 3, *q = src1 + (size_t)xmin * 3;
        __m256i acc = bias, acc2 = _mm256_setzero_si256();
        int x = 0;
        for (; x + 1 < n; x += 2, p += 6, q += 6) {
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(load_rgb_pair(p, q), _mm256_set1_epi32(k[x])));
            acc2 = _mm256_add_epi32(acc2, _mm256_mullo_epi32(load_rgb_pair(p + 3, q + 3), _mm256_set1_epi32(k[x + 1])));
        }
        if (x < n) acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(load_rgb_pair(p, q), _mm256_set1_epi32(k[x])));
        acc = _mm256_srai_epi32(_mm256_add_epi32(acc, acc2), PRECISION_BITS);
        __m256i packed = _mm256_packus_epi16(_mm256_packs_epi32(acc, acc), acc);
        store3(dst0 + 3 * xx, (uint32_t)_mm256_extract_epi32(packed, 0), xx == ow - 1);
        store3(dst1 + 3 * xx, (uint32_t)_mm256_extract_epi32(packed, 4), xx == ow - 1);
    }
}

void rc_horizontal3_u8_avx2(uint8_t *out, const uint8_t *in, size_t in_stride, int rows,
                            const rc_axis_weights *wx) {
    int ow = wx->count, ks = wx->ksize;
    int y = 0;
    for (; y + 2 < rows; y += 2) {  /* pairs that stop before the last row (it may end the buffer) */
        const uint8_t *src0 = in + (size_t)y * in_stride;
        horizontal_pair(out + (size_t)y * ow * 3, out + (size_t)(y + 1) * ow * 3, src0, src0 + in_stride, wx);
    }
    for (; y < rows; y++) {  /* in bounds: plain loads */
        const uint8_t *src = in + (size_t)y * in_stride;
        uint8_t *dst = out + (size_t)y * ow * 3;
        for (int xx = 0; xx < ow; xx++) {
            int xmin = wx->bounds[2 * xx], n = wx->bounds[2 * xx + 1];
            const int32_t *k = &wx->fixed[(size_t)xx * ks];
            const uint8_t *p = src + (size_t)xmin * 3;
            for (int c = 0; c < 3; c++) {
                int32_t s = 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < n; x++) s += p[x * 3 + c] * k[x];
                s >>= PRECISION_BITS;
                dst[3 * xx + c] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
            }
        }
    }
}

static inline __m256i clip_pack(__m256i a, __m256i b, __m256i c, __m256i d) {
    a = _mm256_srai_epi32(a, PRECISION_BITS);
    b = _mm256_srai_epi32(b, PRECISION_BITS);
    c = _mm256_srai_epi32(c, PRECISION_BITS);
    d = _mm256_srai_epi32(d, PRECISION_BITS);
    __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);  /* per 128-bit lane */
    __m256i bytes = _mm256_packus_epi16(ab, cd);
    /* lanes now hold a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7 (4-byte groups): restore order */
    return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

void rc_vertical_u8_avx2(uint8_t *out, const uint8_t *in, size_t in_stride, int row0, int line,
                         const rc_axis_weights *wy) {
    int ks = wy->ksize;
    const __m256i bias = _mm256_set1_epi32(1 << (PRECISION_BITS - 1));
    for (int yy = 0; yy < wy->count; yy++) {
        int ymin = wy->bounds[2 * yy] - row0, n = wy->bounds[2 * yy + 1];
        const int32_t *k = &wy->fixed[(size_t)yy * ks];
        const uint8_t *base = in + (size_t)ymin * in_stride;
        uint8_t *dst = out + (size_t)yy * line;
        int i = 0;
        for (; i + 32 <= line; i += 32) {
            __m256i a0 = bias, a1 = bias, a2 = bias, a3 = bias;
            for (int y = 0; y < n; y++) {
                const uint8_t *row = base + (size_t)y * in_stride + i;
                __m256i w = _mm256_set1_epi32(k[y]);
                __m128i lo = _mm_loadu_si128((const __m128i *)row), hi = _mm_loadu_si128((const __m128i *)(row + 16));
                a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(lo), w));
                a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)), w));
                a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(hi), w));
                a3 = _mm256_add_epi32(a3, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)), w));
            }
            _mm256_storeu_si256((__m256i *)(dst + i), clip_pack(a0, a1, a2, a3));
        }
        for (; i < line; i++) {
            int32_t s = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < n; y++) s += base[(size_t)y * in_stride + i] * k[y];
            s >>= PRECISION_BITS;
            dst[i] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
        }
    }
}
