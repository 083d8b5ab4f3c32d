#include "nn/conv.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm.h"

rc_status rc_conv2d_shape_init(rc_conv2d_shape *s) {
    if (s->n < 0 || s->c <= 0 || s->h <= 0 || s->w <= 0 || s->k <= 0 || s->kh <= 0 || s->kw <= 0 ||
        s->stride_h <= 0 || s->stride_w <= 0 || s->pad_h < 0 || s->pad_w < 0 ||
        s->dilation_h <= 0 || s->dilation_w <= 0 || s->groups <= 0 || s->c % s->groups ||
        s->k % s->groups)
        return RC_ERR_ARGUMENT;
    int64_t span_h = s->dilation_h * (s->kh - 1) + 1, span_w = s->dilation_w * (s->kw - 1) + 1;
    if (s->h + 2 * s->pad_h < span_h || s->w + 2 * s->pad_w < span_w) return RC_ERR_ARGUMENT;
    s->oh = (s->h + 2 * s->pad_h - span_h) / s->stride_h + 1;
    s->ow = (s->w + 2 * s->pad_w - span_w) / s->stride_w + 1;
    return RC_OK;
}

static int is_direct(const rc_conv2d_shape *s) {
    return s->kh == 1 && s->kw == 1 && s->stride_h == 1 && s->stride_w == 1 && s->pad_h == 0 &&
           s->pad_w == 0;
}

/* Output columns [lo, hi) whose input column ow*stride + offset lies in [0, w). */
static void valid_range(int64_t offset, int64_t stride, int64_t w, int64_t ow, int64_t *lo,
                        int64_t *hi) {
    int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int64_t last = w - 1 - offset < 0 ? 0 : (w - 1 - offset) / stride + 1;
    *lo = first < ow ? first : ow;
    *hi = last < ow ? last : ow;
    if (*hi < *lo) *hi = *lo;
}

void rc_im2col(float *col, const float *img, const rc_conv2d_shape *s) {
    const int64_t kk = s->kh * s->kw, rows = s->c * kk, ohw = s->oh * s->ow;
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && rows * ohw > 65536)
    for (int64_t r = 0; r < rows; r++) {
        int64_t c = r / kk, ki = (r % kk) / s->kw, kj = r % s->kw;
        const float *plane = img + c * s->h * s->w;
        int64_t col_off = kj * s->dilation_w - s->pad_w, lo, hi;
        valid_range(col_off, s->stride_w, s->w, s->ow, &lo, &hi);
        for (int64_t oh = 0; oh < s->oh; oh++) {
            float *dst = col + r * ohw + oh * s->ow;
            int64_t ih = oh * s->stride_h - s->pad_h + ki * s->dilation_h;
            if (ih < 0 || ih >= s->h) {
                memset(dst, 0, (size_t)s->ow * sizeof(float));
                continue;
            }
            const float *src = plane + ih * s->w + col_off;
            for (int64_t ow = 0; ow < lo; ow++) dst[ow] = 0.0f;
            if (s->stride_w == 1) memcpy(dst + lo, src + lo, (size_t)(hi - lo) * sizeof(float));
            else
                for (int64_t ow = lo; ow < hi; ow++) dst[ow] = src[ow * s->stride_w];
            for (int64_t ow = hi; ow < s->ow; ow++) dst[ow] = 0.0f;
        }
    }
}

void rc_col2im(float *img, const float *col, const rc_conv2d_shape *s) {
    const int64_t kk = s->kh * s->kw, ohw = s->oh * s->ow;
    /* One channel per iteration: all rows (c, ki, kj) that land in plane c, so no races. */
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && s->c * kk * ohw > 65536)
    for (int64_t c = 0; c < s->c; c++) {
        float *plane = img + c * s->h * s->w;
        for (int64_t ki = 0; ki < s->kh; ki++)
            for (int64_t kj = 0; kj < s->kw; kj++) {
                const float *rowp = col + ((c * s->kh + ki) * s->kw + kj) * ohw;
                int64_t col_off = kj * s->dilation_w - s->pad_w, lo, hi;
                valid_range(col_off, s->stride_w, s->w, s->ow, &lo, &hi);
                for (int64_t oh = 0; oh < s->oh; oh++) {
                    int64_t ih = oh * s->stride_h - s->pad_h + ki * s->dilation_h;
                    if (ih < 0 || ih >= s->h) continue;
                    float *dst = plane + ih * s->w + col_off;
                    const float *src = rowp + oh * s->ow;
                    if (s->stride_w == 1)
                        for (int64_t ow = lo; ow < hi; ow++) dst[ow] += src[ow];
                    else
                        for (int64_t ow = lo; ow < hi; ow++) dst[ow * s->stride_w] += src[ow];
                }
            }
    }
}

/* Whether to give each thread whole images (serial GEMMs) rather than parallelise each GEMM:
 * only when the batch splits evenly enough that no thread idles for long. */
static int images_in_parallel(int64_t n) {
    int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    return threads > 1 && (n % threads == 0 || n >= 4 * threads);
}

rc_status rc_conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                            const rc_conv2d_shape *s) {
    const int64_t g_in = s->c / s->groups, g_out = s->k / s->groups;
    const int64_t kdim = g_in * s->kh * s->kw, hw = s->h * s->w, ohw = s->oh * s->ow;
    const int direct = is_direct(s);
    rc_status status = RC_OK;
#pragma omp parallel for schedule(dynamic, 1) if (images_in_parallel(s->n))
    for (int64_t n = 0; n < s->n; n++) {
        const float *img = inp + n * s->c * hw;
        float *col = NULL;
        if (!direct) {
            col = rc_workspace(RC_WS_COL, (size_t)(s->groups * kdim * ohw));
            if (!col) {
#pragma omp atomic write
                status = RC_ERR_NOMEM;
                continue;
            }
            rc_im2col(col, img, s);
        }
        for (int64_t g = 0; g < s->groups; g++) {
            const float *bmat = direct ? img + g * g_in * hw : col + g * kdim * ohw;
            rc_status st = rc_sgemm(0, 0, g_out, ohw, kdim, 1.0f, weight + g * g_out * kdim, kdim,
                                    bmat, ohw, 0.0f, out + (n * s->k + g * g_out) * ohw, ohw,
                                    bias ? bias + g * g_out : NULL,
                                    bias ? RC_GEMM_BIAS_ROW : RC_GEMM_NO_BIAS);
            if (st != RC_OK) {
#pragma omp atomic write
                status = st;
            }
        }
    }
    return status;
}

rc_status rc_conv2d_backward_data(float *dinp, const float *dout, const float *weight,
                                  const rc_conv2d_shape *s) {
    const int64_t g_in = s->c / s->groups, g_out = s->k / s->groups;
    const int64_t kdim = g_in * s->kh * s->kw, hw = s->h * s->w, ohw = s->oh * s->ow;
    const int direct = is_direct(s);
    rc_status status = RC_OK;
#pragma omp parallel for schedule(dynamic, 1) if (images_in_parallel(s->n))
    for (int64_t n = 0; n < s->n; n++) {
        float *dimg = dinp + n * s->c * hw;
        const float *dy = dout + n * s->k * ohw;
        if (direct) {
            for (int64_t g = 0; g < s->groups; g++) {
                rc_status st = rc_sgemm(1, 0, g_in, hw, g_out, 1.0f, weight + g * g_out * kdim, kdim,
                                        dy + g * g_out * ohw, ohw, 1.0f, dimg + g * g_in * hw, hw,
                                        NULL, RC_GEMM_NO_BIAS);
                if (st != RC_OK) {
#pragma omp atomic write
                    status = st;
                }
            }
            continue;
        }
        float *dcol = rc_workspace(RC_WS_COL, (size_t)(s->groups * kdim * ohw));
        if (!dcol) {
#pragma omp atomic write
            status = RC_ERR_NOMEM;
            continue;
        }
        for (int64_t g = 0; g < s->groups; g++) {
            rc_status st = rc_sgemm(1, 0, kdim, ohw, g_out, 1.0f, weight + g * g_out * kdim, kdim,
                                    dy + g * g_out * ohw, ohw, 0.0f, dcol + g * kdim * ohw, ohw,
                                    NULL, RC_GEMM_NO_BIAS);
            if (st != RC_OK) {
#pragma omp atomic write
                status = st;
            }
        }
        rc_col2im(dimg, dcol, s);
    }
    return status;
}

/* dweight += sum over images of dout_n @ col_n^T, for images [n0, n1). */
static rc_status weight_grad_images(float *dweight, const float *dout, const float *inp,
                                    const rc_conv2d_shape *s, int64_t n0, int64_t n1) {
    const int64_t g_in = s->c / s->groups, g_out = s->k / s->groups;
    const int64_t kdim = g_in * s->kh * s->kw, hw = s->h * s->w, ohw = s->oh * s->ow;
    const int direct = is_direct(s);
    float *col = NULL;
    if (!direct && n1 > n0) {
        col = rc_workspace(RC_WS_COL, (size_t)(s->groups * kdim * ohw));
        if (!col) return RC_ERR_NOMEM;
    }
    for (int64_t n = n0; n < n1; n++) {
        const float *img = inp + n * s->c * hw;
        if (!direct) rc_im2col(col, img, s);
        for (int64_t g = 0; g < s->groups; g++) {
            const float *bmat = direct ? img + g * g_in * hw : col + g * kdim * ohw;
            rc_status st = rc_sgemm(0, 1, g_out, kdim, ohw, 1.0f, dout + (n * s->k + g * g_out) * ohw,
                                    ohw, bmat, ohw, 1.0f, dweight + g * g_out * kdim, kdim, NULL,
                                    RC_GEMM_NO_BIAS);
            if (st != RC_OK) return st;
        }
    }
    return RC_OK;
}

rc_status rc_conv2d_backward_weight(float *dweight, float *dbias, const float *dout,
                                    const float *inp, const rc_conv2d_shape *s) {
    const int64_t ohw = s->oh * s->ow;
    const int64_t wsize = s->k * (s->c / s->groups) * s->kh * s->kw;
    rc_status status = RC_OK;
    if (!images_in_parallel(s->n)) {
        status = weight_grad_images(dweight, dout, inp, s, 0, s->n);
    } else {
        /* Each thread sums its images into a private buffer (thread 0 straight into dweight),
         * then the buffers are added in, each thread reducing a slice of the weight. */
        int threads = omp_get_max_threads();
        float **partial = calloc((size_t)threads, sizeof(float *));
        if (!partial) return RC_ERR_NOMEM;
#pragma omp parallel num_threads(threads)
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            float *mine = dweight;
            if (t > 0) {
                mine = rc_workspace(RC_WS_ACCUM, (size_t)wsize);
                if (mine) memset(mine, 0, (size_t)wsize * sizeof(float));
            }
            partial[t] = mine;
            rc_status st = mine ? weight_grad_images(mine, dout, inp, s, s->n * t / nt,
                                                     s->n * (t + 1) / nt)
                                : RC_ERR_NOMEM;
            if (st != RC_OK) {
#pragma omp critical(rc_conv_status)
                status = st;
            }
#pragma omp barrier
            if (status == RC_OK) {
                int64_t lo = wsize * t / nt, hi = wsize * (t + 1) / nt;
                for (int u = 1; u < nt; u++) {
                    const float *src = partial[u];
                    for (int64_t i = lo; i < hi; i++) dweight[i] += src[i];
                }
            }
        }
        free(partial);
    }
    if (dbias && status == RC_OK) {
#pragma omp parallel for schedule(static) if (s->n * s->k * ohw > 65536)
        for (int64_t k = 0; k < s->k; k++) {
            double acc = 0.0;
            for (int64_t n = 0; n < s->n; n++) {
                const float *row = dout + (n * s->k + k) * ohw;
                float part = 0.0f;
                for (int64_t i = 0; i < ohw; i++) part += row[i];
                acc += part;
            }
            dbias[k] += (float)acc;
        }
    }
    return status;
}

void rc_conv2d_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                             const rc_conv2d_shape *s) {
    const int64_t g_in = s->c / s->groups, g_out = s->k / s->groups;
    for (int64_t n = 0; n < s->n; n++)
        for (int64_t k = 0; k < s->k; k++) {
            int64_t g = k / g_out;
            for (int64_t oh = 0; oh < s->oh; oh++)
                for (int64_t ow = 0; ow < s->ow; ow++) {
                    double acc = bias ? bias[k] : 0.0;
                    for (int64_t ci = 0; ci < g_in; ci++)
                        for (int64_t ki = 0; ki < s->kh; ki++)
                            for (int64_t kj = 0; kj < s->kw; kj++) {
                                int64_t ih = oh * s->stride_h - s->pad_h + ki * s->dilation_h;
                                int64_t iw = ow * s->stride_w - s->pad_w + kj * s->dilation_w;
                                if (ih < 0 || ih >= s->h || iw < 0 || iw >= s->w) continue;
                                acc += (double)inp[((n * s->c + g * g_in + ci) * s->h + ih) * s->w + iw] *
                                       weight[((k * g_in + ci) * s->kh + ki) * s->kw + kj];
                            }
                    out[((n * s->k + k) * s->oh + oh) * s->ow + ow] = (float)acc;
                }
        }
}
