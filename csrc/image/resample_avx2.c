/* AVX2 resampling passes (see resample_avx2.h). Pillow's 8-bit arithmetic: sums of
 * pixel * 22-bit weight in int32 from a rounding bias, >> 22, clipped to 0..255 (the packs
 * saturate exactly as the clip does). */
#include "image/resample_avx2.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define PRECISION_BITS (32 - 8 - 2)

static inline void store3(uint8_t *dst, uint32_t v, int last) {
    if (!last) {
        memcpy(dst, &v, 4);  /* the 4th byte is overwritten by the next pixel */
    } else {
        dst[0] = (uint8_t)v;
        dst[1] = (uint8_t)(v >> 8);
        dst[2] = (uint8_t)(v >> 16);
    }
}

/* The horizontal pass takes taps in pairs through pmaddwd, which multiplies 16-bit values: each
 * 22-bit weight k is split as k = hi * 2^11 + lo with 0 <= lo < 2^11 (both fit int16) and the sum
 * is rebuilt as (sum(p * hi) << 11) + sum(p * lo): the same integer as Pillow's sum(p * k)
 * (int32 wraparound on the way cannot change a total that fits int32, as Pillow's does). */
typedef struct {
    int32_t *hi, *lo;  /* per output pixel, per tap pair: two int16 packed in an int32 */
    int pairs;         /* tap pairs per output pixel: ksize halved, rounded up */
} split_weights;

static int split_weights_init(split_weights *sw, const rc_axis_weights *wx) {
    int pairs = (wx->ksize + 1) / 2;
    sw->pairs = pairs;
    sw->hi = malloc(sizeof(int32_t) * 2 * (size_t)pairs * wx->count);
    if (!sw->hi) return -1;
    sw->lo = sw->hi + (size_t)pairs * wx->count;
    for (int xx = 0; xx < wx->count; xx++) {
        const int32_t *k = &wx->fixed[(size_t)xx * wx->ksize];
        int n = wx->bounds[2 * xx + 1];
        for (int j = 0; j < pairs; j++) {
            int32_t k0 = 2 * j < n ? k[2 * j] : 0, k1 = 2 * j + 1 < n ? k[2 * j + 1] : 0;
            int32_t h0 = k0 >> 11, h1 = k1 >> 11;  /* arithmetic shift: floor, so lo >= 0 */
            int32_t l0 = k0 - h0 * 2048, l1 = k1 - h1 * 2048;
            sw->hi[(size_t)xx * pairs + j] = (int32_t)(((uint32_t)(uint16_t)h1 << 16) | (uint16_t)h0);
            sw->lo[(size_t)xx * pairs + j] = (int32_t)(((uint32_t)(uint16_t)l1 << 16) | (uint16_t)l0);
        }
    }
    return 0;
}

/* One output pixel of two rows: lanes 0-3 hold (r, g, b, 0) of row 0, lanes 4-7 of row 1, as
 * int32 already shifted down. Reads 8 bytes from each tap pair's first pixel, so up to 5 bytes
 * past a row's last pixel. */
static inline __m256i horizontal_pixel(const uint8_t *src0, const uint8_t *src1, int xx,
                                       const rc_axis_weights *wx, const split_weights *sw) {
    /* bytes r0 g0 b0 r1 g1 b1 .. -> int16 (r0, r1), (g0, g1), (b0, b1), (0, 0) */
    const __m256i order = _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,
                                           0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1);
    int xmin = wx->bounds[2 * xx], n = wx->bounds[2 * xx + 1];
    const int32_t *hi = &sw->hi[(size_t)xx * sw->pairs], *lo = &sw->lo[(size_t)xx * sw->pairs];
    const uint8_t *p = src0 + (size_t)xmin * 3, *q = src1 + (size_t)xmin * 3;
    __m256i acc_hi = _mm256_setzero_si256(), acc_lo = _mm256_set1_epi32(1 << (PRECISION_BITS - 1));
    for (int j = 0; 2 * j < n; j++, p += 6, q += 6) {
        __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)p)),
                                            _mm_loadl_epi64((const __m128i *)q), 1);
        v = _mm256_shuffle_epi8(v, order);
        acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(v, _mm256_set1_epi32(hi[j])));
        acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(v, _mm256_set1_epi32(lo[j])));
    }
    return _mm256_srai_epi32(_mm256_add_epi32(_mm256_slli_epi32(acc_hi, 11), acc_lo), PRECISION_BITS);
}

/* Output pixels in groups of 4: packed to 12 bytes per row and stored 16 bytes at a time; the 4
 * extra bytes land on the row's next two pixels, written afterwards (the last pixels of a row go
 * one at a time, so nothing spills into the other row). */
static inline void horizontal_pair(uint8_t *dst0, uint8_t *dst1, const uint8_t *src0, const uint8_t *src1,
                                   const rc_axis_weights *wx, const split_weights *sw) {
    int ow = wx->count, xx = 0;
    const __m256i squeeze = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                                             0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
    for (; xx + 6 <= ow; xx += 4) {
        __m256i a = horizontal_pixel(src0, src1, xx, wx, sw), b = horizontal_pixel(src0, src1, xx + 1, wx, sw);
        __m256i c = horizontal_pixel(src0, src1, xx + 2, wx, sw), d = horizontal_pixel(src0, src1, xx + 3, wx, sw);
        /* per 128-bit lane (one row): bytes a r g b 0, b r g b 0, c .., d .. -> 12 bytes */
        __m256i bytes = _mm256_shuffle_epi8(_mm256_packus_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d)), squeeze);
        _mm_storeu_si128((__m128i *)(dst0 + 3 * xx), _mm256_castsi256_si128(bytes));
        _mm_storeu_si128((__m128i *)(dst1 + 3 * xx), _mm256_extracti128_si256(bytes, 1));
    }
    for (; xx < ow; xx++) {
        __m256i acc = horizontal_pixel(src0, src1, xx, wx, sw);
        __m256i packed = _mm256_packus_epi16(_mm256_packs_epi32(acc, acc), acc);
        store3(dst0 + 3 * xx, (uint32_t)_mm256_extract_epi32(packed, 0), xx == ow - 1);
        store3(dst1 + 3 * xx, (uint32_t)_mm256_extract_epi32(packed, 4), xx == ow - 1);
    }
}

void rc_horizontal3_u8_avx2(uint8_t *out, const uint8_t *in, size_t in_stride, int rows,
                            const rc_axis_weights *wx) {
    int ow = wx->count, ks = wx->ksize;
    int y = 0, x0, x1;
    split_weights sw;
    rc_axis_weights_span(wx, &x0, &x1);
    /* Pairs of rows that end before the last row: a row's overread (5 bytes past pixel x1 - 1)
     * then stays inside the following rows, which hold at least 3 * x1 >= 6 bytes. */
    if (x1 >= 2 && split_weights_init(&sw, wx) == 0) {
        for (; y + 2 < rows; y += 2) {
            const uint8_t *src0 = in + (size_t)y * in_stride;
            horizontal_pair(out + (size_t)y * ow * 3, out + (size_t)(y + 1) * ow * 3, src0, src0 + in_stride, wx, &sw);
        }
        free(sw.hi);
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
