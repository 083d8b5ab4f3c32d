/* Pillow's 8-bit HSV round trip with a hue shift, on a block of RGB pixels (color.c and its
 * AVX2 build color_avx2.c include this; the generic and AVX2 versions give identical results). */
#ifndef RESNETC_IMAGE_HUE_BLOCK_H
#define RESNETC_IMAGE_HUE_BLOCK_H

#include <stdint.h>

/* The HSV round trip of a block of pixels, written as branch-free loops over arrays so the
 * compiler vectorizes them. Every step keeps Pillow's float/double types and operation order
 * (Convert.c rgb2hsv_row / hsv2rgb), so results are bit-identical to Pillow: checked on all
 * 2^24 colors for both builds during development; tests/transforms check 2^18 colors per ISA.
 * round() of non-negative values is (int)(x + 0.5) and fmod(x, 1) on [0, 2) is x - (int)x. */
#define HUE_BLOCK 256

#define HUE_BLOCK_DEFINE(name) \
void name(uint8_t *rgb, int n, uint8_t shift) { \
    hue_block_body(rgb, n, shift); \
}

static inline void hue_block_body(uint8_t *rgb, int n, uint8_t shift) {
    int32_t R[HUE_BLOCK], G[HUE_BLOCK], B[HUE_BLOCK], H[HUE_BLOCK], S[HUE_BLOCK], V[HUE_BLOCK];
    for (int i = 0; i < n; i++) {
        R[i] = rgb[3 * i];
        G[i] = rgb[3 * i + 1];
        B[i] = rgb[3 * i + 2];
    }
    /* selections are arithmetic (0/1 masks) so that the loops vectorize; all terms are finite */
    for (int i = 0; i < n; i++) {
        int32_t r = R[i], g = G[i], b = B[i];
        int32_t maxc = r > g ? r : g;
        maxc = maxc > b ? maxc : b;
        int32_t minc = r < g ? r : g;
        minc = minc < b ? minc : b;
        int32_t cr = maxc - minc;
        int32_t gray = cr == 0;
        float crf = (float)(cr + gray);
        float rc = (float)(maxc - r) / crf, gc = (float)(maxc - g) / crf, bc = (float)(maxc - b) / crf;
        float hr = bc - gc;
        float hg = (float)(2.0 + rc - bc);
        float hb = (float)(4.0 + gc - rc);
        int32_t is_r = r == maxc, is_g = (g == maxc) & !is_r;
        float h = (float)is_r * hr + (float)is_g * hg + (float)(1 - is_r - is_g) * hb;
        double hd = h / 6.0 + 1.0;
        hd -= (double)(int32_t)hd;  /* fmod(x, 1.0) for x in [0, 2): subtracting 0 or 1 is exact */
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
        double h6 = (float)h * 6.0 / 255.0;
        int32_t sec = (int32_t)h6;
        float f = h6 - (float)sec;
        float fs = ((float)s) / 255.0;
        int32_t p = (int32_t)((float)v * (1.0 - fs) + 0.5);
        int32_t q = (int32_t)((float)v * (1.0 - fs * f) + 0.5);
        int32_t t = (int32_t)((float)v * (1.0 - fs * (1.0 - f)) + 0.5);
        sec -= 6 * (sec == 6);
        /* masks: -1 where true */
        int32_t m0 = -(sec == 0), m1 = -(sec == 1), m2 = -(sec == 2), m3 = -(sec == 3), m4 = -(sec == 4),
                m5 = -(sec == 5), ms = -(s == 0);
        int32_t r = ((m0 | m5) & v) | (m1 & q) | (m4 & t) | ((m2 | m3) & p);
        int32_t g = ((m1 | m2) & v) | (m0 & t) | (m3 & q) | ((m4 | m5) & p);
        int32_t b = ((m3 | m4) & v) | (m2 & t) | (m5 & q) | ((m0 | m1) & p);
        R[i] = (ms & v) | (~ms & r);
        G[i] = (ms & v) | (~ms & g);
        B[i] = (ms & v) | (~ms & b);
    }
    for (int i = 0; i < n; i++) {
        rgb[3 * i] = (uint8_t)R[i];
        rgb[3 * i + 1] = (uint8_t)G[i];
        rgb[3 * i + 2] = (uint8_t)B[i];
    }
}


/* rgb is (n, 3) uint8, n <= HUE_BLOCK, modified in place. */
void rc_hue_block_avx2(uint8_t *rgb, int n, uint8_t shift);

#endif
