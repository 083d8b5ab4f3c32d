/* Pillow-exact color ops on uint8 RGB (see color.h). */
#include "image/color.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

/* Tables for the 8-bit HSV round trip, filled once (pthread_once): every entry is computed
 * with the same float/double steps as Pillow's per-pixel code, so results are unchanged.
 *   quot[cr][d] = (float)d / (float)cr      (the rc, gc, bc quotients)
 *   sat[cr][maxc] = Pillow's 8-bit saturation
 *   pval[s][v] = Pillow's p = round(v * (1 - s/255)) */
static float quot[256][256];
static uint8_t sat[256][256];
static uint8_t pval[256][256];
/* hsv -> rgb: sector[h] = floor(h * 6 / 255) % 6, and the double factors Pillow multiplies v by
 * for q and t: qmul[h][s] = 1 - fs * f (fs * f in float), tmul[h][s] = 1 - fs * (1 - f). */
static uint8_t sector[256];
static double qmul[256][256], tmul[256][256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void init_tables(void) {
    for (int cr = 1; cr < 256; cr++)
        for (int d = 0; d < 256; d++) quot[cr][d] = (float)d / (float)cr;
    for (int cr = 1; cr < 256; cr++)
        for (int maxc = cr; maxc < 256; maxc++) {
            float sv = (float)cr / (float)maxc;
            int is = (int)(sv * 255.0);
            sat[cr][maxc] = (uint8_t)(is < 0 ? 0 : is > 255 ? 255 : is);
        }
    for (int h = 0; h < 256; h++) {
        double h6 = (float)h * 6.0 / 255.0;
        int i = (int)h6;
        float f = h6 - (float)i;
        sector[h] = (uint8_t)(i % 6);
        for (int s = 0; s < 256; s++) {
            float fs = ((float)s) / 255.0;
            qmul[h][s] = 1.0 - fs * f;
            tmul[h][s] = 1.0 - fs * (1.0 - f);
        }
    }
    for (int s = 0; s < 256; s++) {
        float fs = ((float)s) / 255.0;
        for (int v = 0; v < 256; v++) {
            int p = (int)((float)v * (1.0 - fs) + 0.5);
            pval[s][v] = (uint8_t)(p < 0 ? 0 : p > 255 ? 255 : p);
        }
    }
}

/* Image.blend(a, b, alpha): a + alpha * (b - a) in float, truncated; clipped only when
 * extrapolating (alpha outside [0, 1]), as Pillow's Blend.c. */
static inline uint8_t blend(int a, int b, float alpha, int extrapolate) {
    float t = (float)a + alpha * (float)(b - a);
    if (!extrapolate) return (uint8_t)t;
    if (t <= 0.0f) return 0;
    if (t >= 255.0f) return 255;
    return (uint8_t)t;
}

/* Pillow's RGB -> HSV (Convert.c, after colorsys), 8 bits per channel, through the tables. */
static inline void rgb_to_hsv(uint8_t *hsv, const uint8_t *rgb) {
    int r = rgb[0], g = rgb[1], b = rgb[2];
    int maxc = r > g ? (r > b ? r : b) : (g > b ? g : b);
    int minc = r < g ? (r < b ? r : b) : (g < b ? g : b);
    hsv[2] = (uint8_t)maxc;
    if (minc == maxc) {
        hsv[0] = hsv[1] = 0;
        return;
    }
    int cr = maxc - minc;
    const float *q = quot[cr];
    float rc = q[maxc - r], gc = q[maxc - g], bc = q[maxc - b];
    float h;
    if (r == maxc) h = bc - gc;
    else if (g == maxc) h = 2.0 + rc - bc;
    else h = 4.0 + gc - rc;
    /* fmod(x, 1.0) for x in [0, 2): subtracting 1 is exact there (Sterbenz) */
    double hd = h / 6.0 + 1.0;
    if (hd >= 1.0) hd -= 1.0;
    h = (float)hd;
    int ih = (int)(h * 255.0);
    hsv[0] = (uint8_t)(ih < 0 ? 0 : ih > 255 ? 255 : ih);
    hsv[1] = sat[cr][maxc];
}

static inline uint8_t clip_int(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

static inline void hsv_to_rgb(uint8_t *rgb, const uint8_t *hsv) {
    int h = hsv[0], s = hsv[1], v = hsv[2];
    if (s == 0) {
        rgb[0] = rgb[1] = rgb[2] = (uint8_t)v;
        return;
    }
    /* round() of non-negative values as (int)(x + 0.5): no libm call per pixel */
    uint8_t p = pval[s][v];
    uint8_t q = clip_int((int)((float)v * qmul[h][s] + 0.5));
    uint8_t t = clip_int((int)((float)v * tmul[h][s] + 0.5));
    int i = sector[h];
    uint8_t V = (uint8_t)v;
    switch (i) {
    case 0: rgb[0] = V; rgb[1] = t; rgb[2] = p; break;
    case 1: rgb[0] = q; rgb[1] = V; rgb[2] = p; break;
    case 2: rgb[0] = p; rgb[1] = V; rgb[2] = t; break;
    case 3: rgb[0] = p; rgb[1] = q; rgb[2] = V; break;
    case 4: rgb[0] = t; rgb[1] = p; rgb[2] = V; break;
    default: rgb[0] = V; rgb[1] = p; rgb[2] = q; break;
    }
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
        /* torchvision: np.int32(hue_factor * 255).astype(np.uint8), added with wraparound */
        uint8_t shift = (uint8_t)(int32_t)((double)factor * 255.0);
        pthread_once(&tables_once, init_tables);
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
