/* Depthwise convolution (groups == in_channels: every output channel reads one input plane),
 * computed directly: as a GEMM each group would be a 1-row matrix product. Each kernel tap
 * (ki, kj) is one pass of `out_row += w * in_row` over contiguous rows (vectorised for
 * stride 1); the plane stays in cache across the KH*KW passes.
 * Called by rc_conv2d_forward/_backward_data when s->c == s->groups; same contracts. The
 * weight gradient stays on the GEMM path, whose dot-product route (one long dot product per
 * tap, over im2col rows) measured faster than a direct loop here. */
#include <omp.h>
#include <string.h>

#include "nn/conv.h"

/* Output columns [lo, hi) whose input column ow*stride + offset lies in [0, w). */
static void tap_range(int64_t offset, int64_t stride, int64_t w, int64_t ow, int64_t *lo,
                      int64_t *hi) {
    int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int64_t last = w - 1 - offset < 0 ? 0 : (w - 1 - offset) / stride + 1;
    *lo = first < ow ? first : ow;
    *hi = last < ow ? last : ow;
    if (*hi < *lo) *hi = *lo;
}

void rc_conv2d_depthwise_forward(float *out, const float *inp, const float *weight,
                                 const float *bias, const rc_conv2d_shape *s) {
    const int64_t mult = s->k / s->c, ohw = s->oh * s->ow, hw = s->h * s->w;
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && s->n * s->k * ohw > 16384)
    for (int64_t nk = 0; nk < s->n * s->k; nk++) {
        int64_t n = nk / s->k, k = nk % s->k;
        const float *plane = inp + (n * s->c + k / mult) * hw, *w = weight + k * s->kh * s->kw;
        float *dst = out + nk * ohw;
        float b = bias ? bias[k] : 0.0f;
        for (int64_t i = 0; i < ohw; i++) dst[i] = b;
        for (int64_t ki = 0; ki < s->kh; ki++)
            for (int64_t kj = 0; kj < s->kw; kj++) {
                float wv = w[ki * s->kw + kj];
                int64_t off = kj * s->dilation_w - s->pad_w, lo, hi;
                tap_range(off, s->stride_w, s->w, s->ow, &lo, &hi);
                for (int64_t oh = 0; oh < s->oh; oh++) {
                    int64_t ih = oh * s->stride_h - s->pad_h + ki * s->dilation_h;
                    if (ih < 0 || ih >= s->h) continue;
                    const float *src = plane + ih * s->w + off;
                    float *row = dst + oh * s->ow;
                    if (s->stride_w == 1)
                        for (int64_t ow = lo; ow < hi; ow++) row[ow] += wv * src[ow];
                    else
                        for (int64_t ow = lo; ow < hi; ow++) row[ow] += wv * src[ow * s->stride_w];
                }
            }
    }
}

void rc_conv2d_depthwise_backward_data(float *dinp, const float *dout, const float *weight,
                                       const rc_conv2d_shape *s) {
    const int64_t mult = s->k / s->c, ohw = s->oh * s->ow, hw = s->h * s->w;
    /* One input plane per iteration, gathering from its `mult` output channels: no races. */
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && s->n * s->k * ohw > 16384)
    for (int64_t nc = 0; nc < s->n * s->c; nc++) {
        int64_t n = nc / s->c, c = nc % s->c;
        float *plane = dinp + nc * hw;
        for (int64_t k = c * mult; k < (c + 1) * mult; k++) {
            const float *dy = dout + (n * s->k + k) * ohw, *w = weight + k * s->kh * s->kw;
            for (int64_t ki = 0; ki < s->kh; ki++)
                for (int64_t kj = 0; kj < s->kw; kj++) {
                    float wv = w[ki * s->kw + kj];
                    int64_t off = kj * s->dilation_w - s->pad_w, lo, hi;
                    tap_range(off, s->stride_w, s->w, s->ow, &lo, &hi);
                    for (int64_t oh = 0; oh < s->oh; oh++) {
                        int64_t ih = oh * s->stride_h - s->pad_h + ki * s->dilation_h;
                        if (ih < 0 || ih >= s->h) continue;
                        float *dst = plane + ih * s->w + off;
                        const float *row = dy + oh * s->ow;
                        if (s->stride_w == 1)
                            for (int64_t ow = lo; ow < hi; ow++) dst[ow] += wv * row[ow];
                        else
                            for (int64_t ow = lo; ow < hi; ow++) dst[ow * s->stride_w] += wv * row[ow];
                    }
                }
        }
    }
}
