/* AVX2 max pooling over 3x3, undilated windows (see pool.h), 8 outputs a vector. Each window
 * is reduced row by row, then the row results are merged, with the scan's rule at every step:
 * a later value replaces the pick if it is greater or NaN. That rule is associative (the result
 * is the last NaN in scan order if any, else the first maximum), so rows-then-merge gives the
 * same value and index as torch's row-major scan. */
#include "nn/pool.h"

#include <immintrin.h>

typedef struct {
    __m256 best;
    __m256i off;  // the pick's offset from the window's first tap, dh * W + dw
} pick8;

/* The scan's step: take v (at offset off) where it is greater than the pick or NaN. */
static inline pick8 scan_step(pick8 p, __m256 v, __m256i off) {
    __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, p.best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    p.best = _mm256_blendv_ps(p.best, v, take);
    p.off = _mm256_castps_si256(
        _mm256_blendv_ps(_mm256_castsi256_ps(p.off), _mm256_castsi256_ps(off), take));
    return p;
}

/* Window output 0 of a row starts at column -1 (padding) when left: that lane's tap 0 repeats
 * column 0 instead, with column 0's offset, which is exact (rescanning the tap just scanned
 * changes nothing: it is neither greater than itself nor, unless NaN, taken; a NaN retaken is
 * the same pick). Loads the rest from column 0 on, so nothing left of the plane is read. */
static inline __m256 tap0_left(const float *r0) {
    return _mm256_permutevar8x32_ps(_mm256_loadu_ps(r0), _mm256_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6));
}

static inline pick8 first_pick(__m256 a, int left) {
    pick8 p = {a, left ? _mm256_setr_epi32(1, 0, 0, 0, 0, 0, 0, 0) : _mm256_setzero_si256()};
    return p;
}

/* Taps 0, 1, 2 of one window row for 8 outputs whose first taps are row[w0 + stride * k].
 * Stride 2 (columns w0 + 2k + 0/1/2): the deinterleaving shuffles leave lanes in the order of
 * outputs 0 1 4 5 2 3 6 7, which the caller undoes once at the store. Reads row[w0..w0+16]. */
static inline pick8 row_pick_s2(const float *row, int64_t w0, int left) {
    __m256 lo = left ? tap0_left(row + w0 + 1) : _mm256_loadu_ps(row + w0);
    __m256 hi = _mm256_loadu_ps(row + w0 + 8);
    __m256 lo1 = _mm256_loadu_ps(row + w0 + 1), hi1 = _mm256_loadu_ps(row + w0 + 9);
    pick8 p = first_pick(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)), left);
    p = scan_step(p, _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)), _mm256_set1_epi32(1));
    return scan_step(p, _mm256_shuffle_ps(lo1, hi1, _MM_SHUFFLE(3, 1, 3, 1)), _mm256_set1_epi32(2));
}

/* Stride 1: reads row[w0..w0+9]. */
static inline pick8 row_pick_s1(const float *row, int64_t w0, int left) {
    pick8 p = first_pick(left ? tap0_left(row + w0 + 1) : _mm256_loadu_ps(row + w0), left);
    p = scan_step(p, _mm256_loadu_ps(row + w0 + 1), _mm256_set1_epi32(1));
    return scan_step(p, _mm256_loadu_ps(row + w0 + 2), _mm256_set1_epi32(2));
}

/* Merges a later row's pick (offsets relative to that row) into the running pick. */
static inline pick8 merge_row(pick8 p, pick8 row, __m256i row_off) {
    return scan_step(p, row.best, _mm256_add_epi32(row.off, row_off));
}

/* Stores 8 values and their int64 indices first + off (first: each output's first tap). */
static inline void store8(float *y, int64_t *idx, pick8 p, int64_t first, int64_t stride) {
    __m256i lane = _mm256_setr_epi64x(0, stride, 2 * stride, 3 * stride);
    __m256i base0 = _mm256_add_epi64(_mm256_set1_epi64x(first), lane);
    __m256i base1 = _mm256_add_epi64(base0, _mm256_set1_epi64x(4 * stride));
    _mm256_storeu_ps(y, p.best);
    __m256i off0 = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(p.off));
    __m256i off1 = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(p.off, 1));
    _mm256_storeu_si256((__m256i *)idx, _mm256_add_epi64(base0, off0));
    _mm256_storeu_si256((__m256i *)(idx + 4), _mm256_add_epi64(base1, off1));
}

/* Outputs ow..ow+7 of one row; left: output ow = 0 starts in the padding column. Forced
 * inline: with left and the stride as branches inside a call it ran 25% slower. */
__attribute__((always_inline)) static inline void vector8(const float *x, int64_t W, int64_t stride,
                                                          int64_t pad, int64_t h0, int rows, int64_t ow,
                                                          int left, float *y, int64_t *idx) {
    const float *r0 = x + h0 * W;
    const __m256i row1 = _mm256_set1_epi32((int)W), row2 = _mm256_set1_epi32((int)(2 * W));
    const int64_t w0 = ow * stride - pad;
    pick8 p;
    if (stride == 2) {
        p = row_pick_s2(r0, w0, left);
        if (rows > 1) p = merge_row(p, row_pick_s2(r0 + W, w0, left), row1);
        if (rows > 2) p = merge_row(p, row_pick_s2(r0 + 2 * W, w0, left), row2);
        // lanes hold outputs 0 1 4 5 2 3 6 7: swap the middle 64-bit pairs back
        p.best = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(p.best), _MM_SHUFFLE(3, 1, 2, 0)));
        p.off = _mm256_permute4x64_epi64(p.off, _MM_SHUFFLE(3, 1, 2, 0));
    } else {
        p = row_pick_s1(r0, w0, left);
        if (rows > 1) p = merge_row(p, row_pick_s1(r0 + W, w0, left), row1);
        if (rows > 2) p = merge_row(p, row_pick_s1(r0 + 2 * W, w0, left), row2);
    }
    store8(y + ow, idx + ow, p, h0 * W + w0, stride);
}

void rc_maxpool2d_rows_3x3_avx2(const float *x, int64_t W, int64_t stride, int64_t pad, int64_t h0,
                                int rows, int64_t ow_lo, int64_t ow_hi, float *y, int64_t *idx) {
    int64_t ow = ow_lo;
    if (ow * stride - pad < 0) {
        vector8(x, W, stride, pad, h0, rows, ow, 1, y, idx);
        ow += 8;
    }
    for (; ow < ow_hi; ow += 8) {
        if (ow > ow_hi - 8) ow = ow_hi - 8;  // the last vector overlaps the previous one
        vector8(x, W, stride, pad, h0, rows, ow, 0, y, idx);
    }
}
