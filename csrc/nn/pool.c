#include "nn/pool.h"

#include "core/cpu_features.h"

#include <math.h>
#include <string.h>

/* One output of max pooling, any geometry. As torch: start from -inf at the first in-bounds
 * tap; '>' keeps the first of equal maxima, and every NaN replaces the current pick (so the
 * last NaN wins). */
static inline void max_window(const float *x, const rc_pool2d_geom *g, int64_t oh, int64_t ow,
                              float *out, int64_t *index) {
    const int64_t H = g->H, W = g->W;
    int64_t h0 = oh * g->SH - g->PH, h1 = h0 + (g->KH - 1) * g->DH + 1;
    int64_t w0 = ow * g->SW - g->PW, w1 = w0 + (g->KW - 1) * g->DW + 1;
    if (h1 > H) h1 = H;
    if (w1 > W) w1 = W;
    while (h0 < 0) h0 += g->DH;
    while (w0 < 0) w0 += g->DW;
    float best = -INFINITY;
    int64_t best_i = h0 * W + w0;
    for (int64_t h = h0; h < h1; h += g->DH)
        for (int64_t w = w0; w < w1; w += g->DW) {
            float v = x[h * W + w];
            if (v > best || v != v) {
                best = v;
                best_i = h * W + w;
            }
        }
    *out = best;
    *index = best_i;
}

/* Outputs [lo, hi) along one axis whose window lies wholly inside [0, size). */
static void inner_range(int64_t size, int64_t out_size, int64_t k, int64_t s, int64_t p, int64_t d,
                        int64_t *lo, int64_t *hi) {
    int64_t span = (k - 1) * d + 1;
    *lo = (p + s - 1) / s;
    *hi = size - span + p >= 0 ? (size - span + p) / s + 1 : 0;
    if (*hi > out_size) *hi = out_size;
    if (*lo > *hi) *lo = *hi;
}

/* The 3x3, undilated windows of ResNet's stem (any stride): the same scan as max_window,
 * unrolled and branch-free (selects, not jumps: on real data which tap wins is unpredictable),
 * for windows wholly inside the plane, so no bounds tests and no division. */
static void max_rows_3x3(const float *x, int64_t W, int64_t stride, int64_t pad, int64_t h0,
                         int64_t ow_lo, int64_t ow_hi, float *y, int64_t *idx) {
    const float *r0 = x + h0 * W, *r1 = r0 + W, *r2 = r1 + W;
    for (int64_t ow = ow_lo; ow < ow_hi; ow++) {
        int64_t w0 = ow * stride - pad;
        /* r0[w0] starts the scan: -inf < v unless v is -inf (same pick) or NaN (picked). */
        float best = r0[w0];
        int tap = 0;
#define RC_TAP(row, dh, dw)                          \
        {                                            \
            float v_ = row[w0 + dw];                 \
            int take_ = (v_ > best) | (v_ != v_);    \
            best = take_ ? v_ : best;                \
            tap = take_ ? dh * 4 + dw : tap;         \
        }
        RC_TAP(r0, 0, 1) RC_TAP(r0, 0, 2)
        RC_TAP(r1, 1, 0) RC_TAP(r1, 1, 1) RC_TAP(r1, 1, 2)
        RC_TAP(r2, 2, 0) RC_TAP(r2, 2, 1) RC_TAP(r2, 2, 2)
#undef RC_TAP
        y[ow] = best;
        idx[ow] = (h0 + (tap >> 2)) * W + w0 + (tap & 3);
    }
}

void rc_maxpool2d_forward(float *out, int64_t *indices, const float *inp, int64_t P,
                          const rc_pool2d_geom *g) {
    const int64_t H = g->H, W = g->W, OH = g->OH, OW = g->OW;
    const int fast = g->KH == 3 && g->KW == 3 && g->DH == 1 && g->DW == 1 && g->SH == g->SW &&
                     g->PH == g->PW;
    int64_t oh_lo = 0, oh_hi = 0, ow_lo = 0, ow_hi = 0;
    if (fast) {
        inner_range(H, OH, 3, g->SH, g->PH, 1, &oh_lo, &oh_hi);
        inner_range(W, OW, 3, g->SW, g->PW, 1, &ow_lo, &ow_hi);
    }
    // The AVX2 rows also take output 0 when padding clips it (fast implies padding <= 1).
    const int avx2 = fast && (g->SW == 1 || g->SW == 2) && ow_hi >= 8 && W < ((int64_t)1 << 30) &&
                     rc_isa_active() >= RC_ISA_AVX2;
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; p++) {
        const float *x = inp + p * H * W;
        float *y = out + p * OH * OW;
        int64_t *idx = indices + p * OH * OW;
        for (int64_t oh = 0; oh < OH; oh++) {
            float *yr = y + oh * OW;
            int64_t *ir = idx + oh * OW;
            const int64_t h0 = oh * g->SH - g->PH;
            const int64_t hs = h0 > 0 ? h0 : 0, he = h0 + 3 < H ? h0 + 3 : H;  // rows inside the plane
            int64_t lo = 0, hi = 0;  // the outputs of this row a 3x3 kernel computes
            if (avx2 && he > hs) {
                lo = 0, hi = ow_hi;
                rc_maxpool2d_rows_3x3_avx2(x, W, g->SW, g->PW, hs, (int)(he - hs), lo, hi, yr, ir);
            } else if (fast && oh >= oh_lo && oh < oh_hi) {
                lo = ow_lo, hi = ow_hi;
                max_rows_3x3(x, W, g->SW, g->PW, h0, lo, hi, yr, ir);
            }
            for (int64_t ow = 0; ow < lo; ow++) max_window(x, g, oh, ow, yr + ow, ir + ow);
            for (int64_t ow = hi; ow < OW; ow++) max_window(x, g, oh, ow, yr + ow, ir + ow);
        }
    }
}

static void route_plane(float *dx, const float *dy, const int64_t *idx, int64_t HW, int64_t OHW) {
    for (int64_t o = 0; o < OHW; o++)
        if (idx[o] >= 0 && idx[o] < HW) dx[idx[o]] += dy[o];
}

void rc_maxpool2d_backward(float *dinp, const float *dout, const int64_t *indices, int64_t P,
                           const rc_pool2d_geom *g) {
    const int64_t HW = g->H * g->W, OHW = g->OH * g->OW;
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; p++) route_plane(dinp + p * HW, dout + p * OHW, indices + p * OHW, HW, OHW);
}

void rc_maxpool2d_backward_overwrite(float *dinp, const float *dout, const int64_t *indices,
                                     int64_t P, const rc_pool2d_geom *g) {
    const int64_t HW = g->H * g->W, OHW = g->OH * g->OW;
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; p++) {
        memset(dinp + p * HW, 0, (size_t)HW * sizeof(float));
        route_plane(dinp + p * HW, dout + p * OHW, indices + p * OHW, HW, OHW);
    }
}

/* The window of output (oh, ow) clipped to the input, and its divisor, as torch computes them. */
typedef struct {
    int64_t h0, h1, w0, w1;
    double divisor;
} avg_window;

static avg_window avg_window_at(const rc_pool2d_geom *g, int64_t oh, int64_t ow,
                                int count_include_pad, int64_t divisor_override) {
    avg_window a;
    a.h0 = oh * g->SH - g->PH;
    a.w0 = ow * g->SW - g->PW;
    a.h1 = a.h0 + g->KH;
    a.w1 = a.w0 + g->KW;
    if (a.h1 > g->H + g->PH) a.h1 = g->H + g->PH;
    if (a.w1 > g->W + g->PW) a.w1 = g->W + g->PW;
    int64_t padded = (a.h1 - a.h0) * (a.w1 - a.w0);
    if (a.h0 < 0) a.h0 = 0;
    if (a.w0 < 0) a.w0 = 0;
    if (a.h1 > g->H) a.h1 = g->H;
    if (a.w1 > g->W) a.w1 = g->W;
    if (divisor_override > 0) a.divisor = (double)divisor_override;
    else if (count_include_pad) a.divisor = (double)padded;
    else a.divisor = (double)((a.h1 - a.h0) * (a.w1 - a.w0));
    return a;
}

void rc_avgpool2d_forward(float *out, const float *inp, int64_t P, const rc_pool2d_geom *g,
                          int count_include_pad, int64_t divisor_override) {
    const int64_t H = g->H, W = g->W, OH = g->OH, OW = g->OW;
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; p++) {
        const float *x = inp + p * H * W;
        float *y = out + p * OH * OW;
        for (int64_t oh = 0; oh < OH; oh++) {
            for (int64_t ow = 0; ow < OW; ow++) {
                avg_window a = avg_window_at(g, oh, ow, count_include_pad, divisor_override);
                if (a.h0 >= a.h1 || a.w0 >= a.w1) { // a window entirely in the padding
                    y[oh * OW + ow] = 0.0f;
                    continue;
                }
                float sum = 0.0f;
                for (int64_t h = a.h0; h < a.h1; h++)
                    for (int64_t w = a.w0; w < a.w1; w++) sum += x[h * W + w];
                y[oh * OW + ow] = (float)(sum / a.divisor);
            }
        }
    }
}

void rc_avgpool2d_backward(float *dinp, const float *dout, int64_t P, const rc_pool2d_geom *g,
                           int count_include_pad, int64_t divisor_override) {
    const int64_t H = g->H, W = g->W, OH = g->OH, OW = g->OW;
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; p++) {
        float *dx = dinp + p * H * W;
        const float *dy = dout + p * OH * OW;
        memset(dx, 0, (size_t)(H * W) * sizeof(float));
        for (int64_t oh = 0; oh < OH; oh++) {
            for (int64_t ow = 0; ow < OW; ow++) {
                avg_window a = avg_window_at(g, oh, ow, count_include_pad, divisor_override);
                float share = (float)(dy[oh * OW + ow] / a.divisor);
                for (int64_t h = a.h0; h < a.h1; h++)
                    for (int64_t w = a.w0; w < a.w1; w++) dx[h * W + w] += share;
            }
        }
    }
}

static int64_t adaptive_start(int64_t o, int64_t I, int64_t O) { return (o * I) / O; }
static int64_t adaptive_end(int64_t o, int64_t I, int64_t O) { return ((o + 1) * I + O - 1) / O; }

/* Sum of n floats: 8 float lanes (vectorisable without -ffast-math) flushed to double every
 * 256 elements, so no float partial sum holds more than 32 terms. */
static double plane_sum(const float *x, int64_t n) {
    double total = 0.0;
    for (int64_t start = 0; start < n; start += 256) {
        int64_t end = start + 256 < n ? start + 256 : n;
        float lane[8] = {0};
        int64_t i = start;
        for (; i + 8 <= end; i += 8)
            for (int j = 0; j < 8; j++) lane[j] += x[i + j];
        for (; i < end; i++) total += x[i];
        for (int j = 0; j < 8; j++) total += lane[j];
    }
    return total;
}

void rc_adaptive_avgpool2d_forward(float *out, const float *inp, int64_t P, int64_t H, int64_t W,
                                   int64_t OH, int64_t OW) {
    if (OH == 1 && OW == 1) { // global average pooling: one contiguous sum per plane
        const int64_t HW = H * W;
#pragma omp parallel for schedule(static)
        for (int64_t p = 0; p < P; p++) {
            out[p] = (float)(plane_sum(inp + p * HW, HW) / (double)HW);
        }
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; p++) {
        const float *x = inp + p * H * W;
        float *y = out + p * OH * OW;
        for (int64_t oh = 0; oh < OH; oh++) {
            int64_t h0 = adaptive_start(oh, H, OH), h1 = adaptive_end(oh, H, OH);
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t w0 = adaptive_start(ow, W, OW), w1 = adaptive_end(ow, W, OW);
                double sum = 0.0;
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) sum += x[h * W + w];
                y[oh * OW + ow] = (float)(sum / (double)((h1 - h0) * (w1 - w0)));
            }
        }
    }
}

void rc_adaptive_avgpool2d_backward(float *dinp, const float *dout, int64_t P, int64_t H, int64_t W,
                                    int64_t OH, int64_t OW) {
    if (OH == 1 && OW == 1) {
        const int64_t HW = H * W;
#pragma omp parallel for schedule(static)
        for (int64_t p = 0; p < P; p++) {
            float share = (float)(dout[p] / (double)HW);
            float *dx = dinp + p * HW;
            for (int64_t i = 0; i < HW; i++) dx[i] = share;
        }
        return;
    }
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; p++) {
        float *dx = dinp + p * H * W;
        const float *dy = dout + p * OH * OW;
        memset(dx, 0, (size_t)(H * W) * sizeof(float));
        for (int64_t oh = 0; oh < OH; oh++) {
            int64_t h0 = adaptive_start(oh, H, OH), h1 = adaptive_end(oh, H, OH);
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t w0 = adaptive_start(ow, W, OW), w1 = adaptive_end(ow, W, OW);
                float share = (float)(dy[oh * OW + ow] / (double)((h1 - h0) * (w1 - w0)));
                for (int64_t h = h0; h < h1; h++)
                    for (int64_t w = w0; w < w1; w++) dx[h * W + w] += share;
            }
        }
    }
}
