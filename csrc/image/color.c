/* Pillow-exact color ops on uint8 RGB (see color.h). */
#include "image/color.h"

#include <string.h>

#include "image/planes.h"

/* Image.blend(a, b, alpha): a + alpha * (b - a) in float, truncated; clipped only when
 * extrapolating (alpha outside [0, 1]), as Pillow's Blend.c. */
static inline uint8_t blend(int a, int b, float alpha, int extrapolate) {
    float t = (float)a + alpha * (float)(b - a);
    if (!extrapolate) return (uint8_t)t;
    if (t <= 0.0f) return 0;
    if (t >= 255.0f) return 255;
    return (uint8_t)t;
}

/* 256-entry table of blend(base, v, factor): exact, since the result depends on v alone. */
static void blend_table(uint8_t *table, int base, float factor, int extrapolate) {
    for (int v = 0; v < 256; v++) table[v] = blend(base, v, factor, extrapolate);
}

void rc_adjust_u8(uint8_t *img, size_t n, int op, float factor) {
    int extrapolate = !(factor >= 0.0f && factor <= 1.0f);
    uint8_t table[256];
    if (op != RC_COLOR_HUE && factor == 1.0f) return;  /* blend returns the image itself */
    switch (op) {
    case RC_COLOR_BRIGHTNESS:
        if (factor == 0.0f) { memset(img, 0, n * 3); return; }
        blend_table(table, 0, factor, extrapolate);
        for (size_t i = 0; i < 3 * n; i++) img[i] = table[img[i]];
        return;
    case RC_COLOR_CONTRAST: {
        /* degenerate = mean of the "L" image, rounded, as ImageEnhance.Contrast */
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++) sum += rc_luma_u8(img + 3 * i);
        int mean = (int)((double)sum / (double)n + 0.5);
        if (factor == 0.0f) { memset(img, mean, n * 3); return; }
        blend_table(table, mean, factor, extrapolate);
        for (size_t i = 0; i < 3 * n; i++) img[i] = table[img[i]];
        return;
    }
    case RC_COLOR_SATURATION:
        if (extrapolate) {
            for (size_t i = 0; i < n; i++) {
                uint8_t *p = img + 3 * i;
                float gray = (float)rc_luma_u8(p);
                for (int c = 0; c < 3; c++) {
                    float t = gray + factor * ((float)p[c] - gray);
                    p[c] = t <= 0.0f ? 0 : t >= 255.0f ? 255 : (uint8_t)t;
                }
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                uint8_t *p = img + 3 * i;
                float gray = (float)rc_luma_u8(p);
                for (int c = 0; c < 3; c++) p[c] = (uint8_t)(gray + factor * ((float)p[c] - gray));
            }
        }
        return;
    case RC_COLOR_HUE: {
        uint8_t shift = rc_hue_shift(factor);
        const rc_plane_kernels *k = rc_plane_kernels_active();
        uint8_t r[256], g[256], b[256];
        for (size_t i = 0; i < n; i += 256) {
            int m = n - i < 256 ? (int)(n - i) : 256;
            k->deinterleave(r, g, b, img + 3 * i, m);
            k->hue(r, g, b, m, shift);
            k->interleave(img + 3 * i, r, g, b, m);
        }
        return;
    }
    default: return;
    }
}

void rc_rgb_to_gray_u8(uint8_t *gray, const uint8_t *rgb, size_t n) {
    for (size_t i = 0; i < n; i++) gray[i] = rc_luma_u8(rgb + 3 * i);
}

void rc_flip_u8(uint8_t *img, int h, int w, int c, int horizontal, int vertical) {
    size_t line = (size_t)w * c;
    if (horizontal) {
        for (int y = 0; y < h; y++) {
            uint8_t *row = img + y * line;
            for (int a = 0, b = w - 1; a < b; a++, b--)
                for (int k = 0; k < c; k++) {
                    uint8_t t = row[a * c + k];
                    row[a * c + k] = row[b * c + k];
                    row[b * c + k] = t;
                }
        }
    }
    if (vertical) {
        for (int a = 0, b = h - 1; a < b; a++, b--)
            for (size_t i = 0; i < line; i++) {
                uint8_t t = img[a * line + i];
                img[a * line + i] = img[b * line + i];
                img[b * line + i] = t;
            }
    }
}

void rc_to_tensor_u8(float *out, const uint8_t *in, int h, int w, int c, const float *mean,
                     const float *std) {
    size_t plane = (size_t)h * w;
    float table[256];
    for (int ch = 0; ch < c; ch++) {
        /* 256 possible inputs: a table computed with torch's exact float32 steps. */
        for (int v = 0; v < 256; v++) {
            float x = (float)v / 255.0f;
            table[v] = mean ? (x - mean[ch]) / std[ch] : x;
        }
        float *dst = out + ch * plane;
        const uint8_t *src = in + ch;
        for (size_t i = 0; i < plane; i++) dst[i] = table[src[i * c]];
    }
}
