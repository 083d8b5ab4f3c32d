/* The bodies of the planar RGB kernels (planes.h), written as simple loops over arrays so that
 * the compiler vectorizes them for each ISA; included by planes.c (portable) and planes_avx2.c.
 * Every step keeps Pillow's types and operation order, so both builds give identical bytes.
 * ISO C11 mode keeps floating-point contraction off: no FMA changes a rounding. */
#ifndef RESNETC_IMAGE_PLANES_BODY_H
#define RESNETC_IMAGE_PLANES_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "image/planes.h"

#define PLANES_BLOCK 256  /* pixels per block of the hue kernel's int32 scratch */

/* size_t indices: Python's build flags include -fwrapv, under which an int 3 * i may wrap and
 * the loop would not vectorize. */
static void deinterleave_body(uint8_t *restrict r, uint8_t *restrict g, uint8_t *restrict b,
                              const uint8_t *restrict rgb, int n) {
    for (size_t i = 0; i < (size_t)n; i++) {
        r[i] = rgb[3 * i];
        g[i] = rgb[3 * i + 1];
        b[i] = rgb[3 * i + 2];
    }
}

static void interleave_body(uint8_t *restrict rgb, const uint8_t *restrict r, const uint8_t *restrict g,
                            const uint8_t *restrict b, int n) {
    for (size_t i = 0; i < (size_t)n; i++) {
        rgb[3 * i] = r[i];
        rgb[3 * i + 1] = g[i];
        rgb[3 * i + 2] = b[i];
    }
}

/* Image.blend(base, p, factor): base + factor * (p - base) in float, truncated; clipping only
 * matters when extrapolating (factor outside [0, 1]), and is a no-op otherwise. */
static void blend_body(uint8_t *restrict p, int n, int base, float factor) {
    float a = (float)base;
    for (int i = 0; i < n; i++) {
        float t = a + factor * (float)(p[i] - base);
        t = t < 0.0f ? 0.0f : t;
        t = t > 255.0f ? 255.0f : t;
        p[i] = (uint8_t)(int32_t)t;
    }
}

static inline int32_t luma_i32(int32_t r, int32_t g, int32_t b) {
    return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

static void saturation_body(uint8_t *restrict r, uint8_t *restrict g, uint8_t *restrict b, int n, float factor) {
    for (int i = 0; i < n; i++) {
        int32_t R = r[i], G = g[i], B = b[i];
        float gray = (float)luma_i32(R, G, B);
        float tr = gray + factor * ((float)R - gray);
        float tg = gray + factor * ((float)G - gray);
        float tb = gray + factor * ((float)B - gray);
        tr = tr < 0.0f ? 0.0f : tr > 255.0f ? 255.0f : tr;
        tg = tg < 0.0f ? 0.0f : tg > 255.0f ? 255.0f : tg;
        tb = tb < 0.0f ? 0.0f : tb > 255.0f ? 255.0f : tb;
        r[i] = (uint8_t)(int32_t)tr;
        g[i] = (uint8_t)(int32_t)tg;
        b[i] = (uint8_t)(int32_t)tb;
    }
}

static uint64_t luma_sum_body(const uint8_t *restrict r, const uint8_t *restrict g, const uint8_t *restrict b, int n) {
    uint64_t total = 0;
    for (int i0 = 0; i0 < n; i0 += 1 << 20) {  /* 32-bit partial sums cannot overflow */
        int end = n - i0 < (1 << 20) ? n : i0 + (1 << 20);
        uint32_t s = 0;
        for (int i = i0; i < end; i++) s += (uint32_t)luma_i32(r[i], g[i], b[i]);
        total += s;
    }
    return total;
}

static void to_float_body(float *restrict out, const uint8_t *restrict p, int n, float mean, float std, int reverse) {
    if (reverse) {  /* blocks of 8, stored reversed: the compiler vectorizes this form */
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            float t[8];
            for (int k = 0; k < 8; k++) t[k] = ((float)p[i + k] / 255.0f - mean) / std;
            for (int k = 0; k < 8; k++) out[n - 1 - i - k] = t[k];
        }
        for (; i < n; i++) out[n - 1 - i] = ((float)p[i] / 255.0f - mean) / std;
    } else {
        for (int i = 0; i < n; i++) out[i] = ((float)p[i] / 255.0f - mean) / std;
    }
}

/* Pillow's rgb2hsv_row / hsv2rgb (Convert.c) on a block, with selections written as
 * arithmetic masks so that the loops vectorize. round() of non-negative values is
 * (int)(x + 0.5) and fmod(x, 1) on [0, 2) is x - (int)x. Rewritten for speed and checked
 * bit-identical to the straightforward transcription of Pillow on all 2^24 colors, for both
 * builds (tests/transforms check 2^18 colors per ISA against Pillow itself):
 * - of Pillow's three quotients (maxc - c) / cr, the max channel's is 0: only two are divided,
 *   and h = (float)(K + x - y) in double equals the float difference x - y when K = 0 (the
 *   double difference of two such floats is exact);
 * - hsv2rgb's h * 6.0 / 255.0 splits into the integer sector (6h) / 255 and the fraction
 *   (6h - 255 sector) / 255.0f, and s / 255.0 in double rounds to the same float as s / 255.0f:
 *   both checked on all 256 inputs. */
static void hue_block_body(uint8_t *restrict r8, uint8_t *restrict g8, uint8_t *restrict b8, int n, uint8_t shift) {
    int32_t H[PLANES_BLOCK], S[PLANES_BLOCK], V[PLANES_BLOCK];
    for (int i = 0; i < n; i++) {
        int32_t r = r8[i], g = g8[i], b = b8[i];
        int32_t maxc = r > g ? r : g;
        maxc = maxc > b ? maxc : b;
        int32_t minc = r < g ? r : g;
        minc = minc < b ? minc : b;
        int32_t cr = maxc - minc;
        int32_t gray = cr == 0;
        float crf = (float)(cr + gray);
        int32_t is_r = r == maxc, is_g = (g == maxc) & !is_r, is_b = 1 - is_r - is_g;
        /* red max: bc - gc; green max: 2 + rc - bc; blue max: 4 + gc - rc */
        int32_t nx = is_r * (maxc - b) + is_g * (maxc - r) + is_b * (maxc - g);
        int32_t ny = is_r * (maxc - g) + is_g * (maxc - b) + is_b * (maxc - r);
        float x = (float)nx / crf, y = (float)ny / crf;
        float h = (float)((double)(2 * is_g + 4 * is_b) + x - y);
        double hd = h / 6.0 + 1.0;
        hd -= (double)(int32_t)hd;
        float h2 = (float)hd;
        int32_t ih = (int32_t)(h2 * 255.0);
        float sv = (float)cr / (float)(maxc + (maxc == 0));
        int32_t is = (int32_t)(sv * 255.0);
        H[i] = ((ih + shift) & 255) * !gray;
        S[i] = is * !gray;
        V[i] = maxc;
    }
    for (int i = 0; i < n; i++) {
        int32_t h = H[i], s = S[i], v = V[i];
        int32_t sec = (6 * h) / 255;
        float f = (float)(6 * h - 255 * sec) / 255.0f;
        float fs = (float)s / 255.0f;
        int32_t p = (int32_t)((float)v * (1.0 - fs) + 0.5);
        int32_t q = (int32_t)((float)v * (1.0 - fs * f) + 0.5);
        int32_t t = (int32_t)((float)v * (1.0 - fs * (1.0 - f)) + 0.5);
        sec -= 6 * (sec == 6);
        int32_t m0 = -(sec == 0), m1 = -(sec == 1), m2 = -(sec == 2), m3 = -(sec == 3), m4 = -(sec == 4),
                m5 = -(sec == 5), ms = -(s == 0);
        int32_t r = ((m0 | m5) & v) | (m1 & q) | (m4 & t) | ((m2 | m3) & p);
        int32_t g = ((m1 | m2) & v) | (m0 & t) | (m3 & q) | ((m4 | m5) & p);
        int32_t b = ((m3 | m4) & v) | (m2 & t) | (m5 & q) | ((m0 | m1) & p);
        H[i] = (ms & v) | (~ms & r);
        S[i] = (ms & v) | (~ms & g);
        V[i] = (ms & v) | (~ms & b);
    }
    for (int i = 0; i < n; i++) {
        r8[i] = (uint8_t)H[i];
        g8[i] = (uint8_t)S[i];
        b8[i] = (uint8_t)V[i];
    }
}

static void hue_body(uint8_t *r, uint8_t *g, uint8_t *b, int n, uint8_t shift) {
    for (int i = 0; i < n; i += PLANES_BLOCK) {
        int m = n - i < PLANES_BLOCK ? n - i : PLANES_BLOCK;
        hue_block_body(r + i, g + i, b + i, m, shift);
    }
}

/* Static wrappers named <body>_k, for each build's kernel table. */
#define RC_PLANE_KERNELS_WRAPPERS                                                                  \
    static void deinterleave_k(uint8_t *r, uint8_t *g, uint8_t *b, const uint8_t *rgb, int n) {   \
        deinterleave_body(r, g, b, rgb, n);                                                        \
    }                                                                                              \
    static void interleave_k(uint8_t *rgb, const uint8_t *r, const uint8_t *g, const uint8_t *b,  \
                             int n) {                                                              \
        interleave_body(rgb, r, g, b, n);                                                          \
    }                                                                                              \
    static void blend_k(uint8_t *p, int n, int base, float f) { blend_body(p, n, base, f); }      \
    static void saturation_k(uint8_t *r, uint8_t *g, uint8_t *b, int n, float f) {                \
        saturation_body(r, g, b, n, f);                                                            \
    }                                                                                              \
    static void hue_k(uint8_t *r, uint8_t *g, uint8_t *b, int n, uint8_t s) { hue_body(r, g, b, n, s); } \
    static uint64_t luma_sum_k(const uint8_t *r, const uint8_t *g, const uint8_t *b, int n) {     \
        return luma_sum_body(r, g, b, n);                                                          \
    }                                                                                              \
    static void to_float_k(float *o, const uint8_t *p, int n, float m, float s, int rev) {        \
        to_float_body(o, p, n, m, s, rev);                                                         \
    }

#endif
