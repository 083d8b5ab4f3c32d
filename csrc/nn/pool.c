#include "nn/pool.h"

#include <math.h>
#include <string.h>

void rc_maxpool2d_forward(float *out, int64_t *indices, const float *inp, int64_t P,
                          const rc_pool2d_geom *g) {
    const int64_t H = g->H, W = g->W, OH = g->OH, OW = g->OW;
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; p++) {
        const float *x = inp + p * H * W;
        float *y = out + p * OH * OW;
        int64_t *idx = indices + p * OH * OW;
        for (int64_t oh = 0; oh < OH; oh++) {
            int64_t h0 = oh * g->SH - g->PH;
            int64_t h1 = h0 + (g->KH - 1) * g->DH + 1;
            if (h1 > H) h1 = H;
            while (h0 < 0) h0 += g->DH;
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t w0 = ow * g->SW - g->PW;
                int64_t w1 = w0 + (g->KW - 1) * g->DW + 1;
                if (w1 > W) w1 = W;
                while (w0 < 0) w0 += g->DW;
                // As torch: start from -inf at the first in-bounds tap; '>' keeps the first of
                // equal maxima, and every NaN replaces the current pick (so the last NaN wins).
                float best = -INFINITY;
                int64_t best_i = h0 * W + w0;
                for (int64_t h = h0; h < h1; h += g->DH) {
                    for (int64_t w = w0; w < w1; w += g->DW) {
                        float v = x[h * W + w];
                        if (v > best || v != v) {
                            best = v;
                            best_i = h * W + w;
                        }
                    }
                }
                y[oh * OW + ow] = best;
                idx[oh * OW + ow] = best_i;
            }
        }
    }
}

void rc_maxpool2d_backward(float *dinp, const float *dout, const int64_t *indices, int64_t P,
                           const rc_pool2d_geom *g) {
    const int64_t HW = g->H * g->W, OHW = g->OH * g->OW;
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; p++) {
        float *dx = dinp + p * HW;
        const float *dy = dout + p * OHW;
        const int64_t *idx = indices + p * OHW;
        for (int64_t o = 0; o < OHW; o++)
            if (idx[o] >= 0 && idx[o] < HW) dx[idx[o]] += dy[o];
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
