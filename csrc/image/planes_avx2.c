/* Planar RGB kernels compiled with AVX2 (setup.py gives *_avx2.c files -mavx2 -mfma; ISO C11
 * keeps contraction off, so no FMA changes a rounding). Used only when rc_isa_active() >= AVX2.
 * The float kernels are written with intrinsics, step for step the operations of
 * planes_body.h (mul then add, IEEE division, truncation): the same bytes as the portable build. */
#include <immintrin.h>

#include "image/planes_body.h"

RC_PLANE_KERNELS_WRAPPERS

/* 16 bytes -> two vectors of 8 floats */
static inline void widen16(__m128i v, __m256 *lo, __m256 *hi) {
    *lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
    *hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(v, 8)));
}

/* two vectors of floats in [0, 255] -> 16 bytes, truncating */
static inline __m128i narrow16(__m256 lo, __m256 hi) {
    __m256i a = _mm256_cvttps_epi32(lo), b = _mm256_cvttps_epi32(hi);
    __m256i w = _mm256_packs_epi32(a, b);               /* a0-3 b0-3 | a4-7 b4-7 */
    w = _mm256_permute4x64_epi64(w, 0xD8);             /* a0-7 b0-7 */
    __m128i x = _mm256_castsi256_si128(w), y = _mm256_extracti128_si256(w, 1);
    return _mm_packus_epi16(x, y);
}

static inline __m256 clamp255(__m256 t) {
    return _mm256_min_ps(_mm256_max_ps(t, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
}

static void blend_avx2(uint8_t *p, int n, int base, float factor) {
    __m256 a = _mm256_set1_ps((float)base), f = _mm256_set1_ps(factor);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 lo, hi;
        widen16(_mm_loadu_si128((const __m128i *)(p + i)), &lo, &hi);
        lo = clamp255(_mm256_add_ps(a, _mm256_mul_ps(f, _mm256_sub_ps(lo, a))));
        hi = clamp255(_mm256_add_ps(a, _mm256_mul_ps(f, _mm256_sub_ps(hi, a))));
        _mm_storeu_si128((__m128i *)(p + i), narrow16(lo, hi));
    }
    blend_body(p + i, n - i, base, factor);
}

static inline __m256 luma8(__m256i r, __m256i g, __m256i b) {
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(r, _mm256_set1_epi32(19595)),
                                                  _mm256_mullo_epi32(g, _mm256_set1_epi32(38470))),
                                 _mm256_add_epi32(_mm256_mullo_epi32(b, _mm256_set1_epi32(7471)),
                                                  _mm256_set1_epi32(0x8000)));
    return _mm256_cvtepi32_ps(_mm256_srli_epi32(s, 16));
}

static inline __m256 toward(__m256 gray, __m256 f, __m256i c) {
    return clamp255(_mm256_add_ps(gray, _mm256_mul_ps(f, _mm256_sub_ps(_mm256_cvtepi32_ps(c), gray))));
}

static void saturation_avx2(uint8_t *r, uint8_t *g, uint8_t *b, int n, float factor) {
    __m256 f = _mm256_set1_ps(factor);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i R = _mm_loadu_si128((const __m128i *)(r + i)), G = _mm_loadu_si128((const __m128i *)(g + i)),
                B = _mm_loadu_si128((const __m128i *)(b + i));
        __m256 out[3][2];
        for (int half = 0; half < 2; half++) {
            __m256i r32 = _mm256_cvtepu8_epi32(half ? _mm_srli_si128(R, 8) : R);
            __m256i g32 = _mm256_cvtepu8_epi32(half ? _mm_srli_si128(G, 8) : G);
            __m256i b32 = _mm256_cvtepu8_epi32(half ? _mm_srli_si128(B, 8) : B);
            __m256 gray = luma8(r32, g32, b32);
            out[0][half] = toward(gray, f, r32);
            out[1][half] = toward(gray, f, g32);
            out[2][half] = toward(gray, f, b32);
        }
        _mm_storeu_si128((__m128i *)(r + i), narrow16(out[0][0], out[0][1]));
        _mm_storeu_si128((__m128i *)(g + i), narrow16(out[1][0], out[1][1]));
        _mm_storeu_si128((__m128i *)(b + i), narrow16(out[2][0], out[2][1]));
    }
    saturation_body(r + i, g + i, b + i, n - i, factor);
}

static void to_float_avx2(float *out, const uint8_t *p, int n, float mean, float std, int reverse) {
    __m256 m = _mm256_set1_ps(mean), s = _mm256_set1_ps(std), k = _mm256_set1_ps(255.0f);
    const __m256i rev = _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i v = _mm_loadl_epi64((const __m128i *)(p + i));
        __m256 x = _mm256_div_ps(_mm256_sub_ps(_mm256_div_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)), k), m), s);
        if (reverse) _mm256_storeu_ps(out + n - 8 - i, _mm256_permutevar8x32_ps(x, rev));
        else _mm256_storeu_ps(out + i, x);
    }
    for (; i < n; i++) {
        float x = ((float)p[i] / 255.0f - mean) / std;
        out[reverse ? n - 1 - i : i] = x;
    }
}

const rc_plane_kernels rc_plane_kernels_avx2 = {deinterleave_k, interleave_k, blend_avx2, saturation_avx2,
                                                hue_k, luma_sum_k, to_float_avx2};
