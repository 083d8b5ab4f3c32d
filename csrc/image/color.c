/* Pillow-exact color ops on uint8 RGB (see color.h). */
#include "image/color.h"

#include <math.h>
#include <string.h>

/* Image.blend(a, b, alpha): a + alpha * (b - a) in float, truncated; clipped only when
 * extrapolating (alpha outside [0, 1]), as Pillow's Blend.c. */
static inline uint8_t blend(int a, int b, float alpha, int extrapolate) {
    float t = (float)a + alpha * (float)(b - a);
    if (!extrapolate) return (uint8_t)t;
    if (t <= 0.0f) return 0;
    if (t >= 255.0f) return 255;
    return (uint8_t)t;
}

/* Pillow's RGB -> HSV (Convert.c, after colorsys), 8 bits per channel. */
static inline void rgb_to_hsv(uint8_t *hsv, const uint8_t *rgb) {
    int r = rgb[0], g = rgb[1], b = rgb[2];
    int maxc = r > g ? (r > b ? r : b) : (g > b ? g : b);
    int minc = r < g ? (r < b ? r : b) : (g < b ? g : b);
    hsv[2] = (uint8_t)maxc;
    if (minc == maxc) {
        hsv[0] = hsv[1] = 0;
        return;
    }
    float cr = (float)(maxc - minc);
    float s = cr / (float)maxc;
    float rc = (float)(maxc - r) / cr, gc = (float)(maxc - g) / cr, bc = (float)(maxc - b) / cr;
    float h;
    if (r == maxc) h = bc - gc;
    else if (g == maxc) h = 2.0 + rc - bc;
    else h = 4.0 + gc - rc;
    h = fmod((h / 6.0 + 1.0), 1.0);
    int ih = (int)(h * 255.0), is = (int)(s * 255.0);
    hsv[0] = (uint8_t)(ih < 0 ? 0 : ih > 255 ? 255 : ih);
    hsv[1] = (uint8_t)(is < 0 ? 0 : is > 255 ? 255 : is);
}

static inline uint8_t clip_int(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

static inline void hsv_to_rgb(uint8_t *rgb, const uint8_t *hsv) {
    int h = hsv[0], s = hsv[1], v = hsv[2];
    if (s == 0) {
        rgb[0] = rgb[1] = rgb[2] = (uint8_t)v;
        return;
    }
    int i = (int)floor((float)h * 6.0 / 255.0);
    float f = (float)h * 6.0 / 255.0 - (float)i;
    float fs = ((float)s) / 255.0;
    uint8_t p = clip_int((int)round((float)v * (1.0 - fs)));
    uint8_t q = clip_int((int)round((float)v * (1.0 - fs * f)));
    uint8_t t = clip_int((int)round((float)v * (1.0 - fs * (1.0 - f))));
    uint8_t V = (uint8_t)v;
    switch (i % 6) {
    case 0: rgb[0] = V; rgb[1] = t; rgb[2] = p; break;
    case 1: rgb[0] = q; rgb[1] = V; rgb[2] = p; break;
    case 2: rgb[0] = p; rgb[1] = V; rgb[2] = t; break;
    case 3: rgb[0] = p; rgb[1] = q; rgb[2] = V; break;
    case 4: rgb[0] = t; rgb[1] = p; rgb[2] = V; break;
    default: rgb[0] = V; rgb[1] = p; rgb[2] = q; break;
    }
}

void rc_adjust_u8(uint8_t *img, size_t n, int op, float factor) {
    int extrapolate = !(factor >= 0.0f && factor <= 1.0f);
    if (op != RC_COLOR_HUE && factor == 1.0f) return;  /* blend returns the image itself */
    switch (op) {
    case RC_COLOR_BRIGHTNESS:
        if (factor == 0.0f) { memset(img, 0, n * 3); return; }
        for (size_t i = 0; i < 3 * n; i++) img[i] = blend(0, img[i], factor, extrapolate);
        return;
    case RC_COLOR_CONTRAST: {
        /* degenerate = mean of the "L" image, rounded, as ImageEnhance.Contrast */
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++) sum += rc_luma_u8(img + 3 * i);
        int mean = (int)((double)sum / (double)n + 0.5);
        if (factor == 0.0f) { memset(img, mean, n * 3); return; }
        for (size_t i = 0; i < 3 * n; i++) img[i] = blend(mean, img[i], factor, extrapolate);
        return;
    }
    case RC_COLOR_SATURATION:
        for (size_t i = 0; i < n; i++) {
            uint8_t *p = img + 3 * i;
            int gray = rc_luma_u8(p);
            if (factor == 0.0f) { p[0] = p[1] = p[2] = (uint8_t)gray; continue; }
            p[0] = blend(gray, p[0], factor, extrapolate);
            p[1] = blend(gray, p[1], factor, extrapolate);
            p[2] = blend(gray, p[2], factor, extrapolate);
        }
        return;
    case RC_COLOR_HUE: {
        /* torchvision: np.int32(hue_factor * 255).astype(np.uint8), added with wraparound */
        uint8_t shift = (uint8_t)(int32_t)((double)factor * 255.0);
        for (size_t i = 0; i < n; i++) {
            uint8_t hsv[3];
            rgb_to_hsv(hsv, img + 3 * i);
            hsv[0] = (uint8_t)(hsv[0] + shift);
            hsv_to_rgb(img + 3 * i, hsv);
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
