/* Pillow-compatible separable resampling (see resample.h). */
#include "image/resample.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu_features.h"
#include "image/resample_avx2.h"
#include "image/scratch.h"

#define PRECISION_BITS (32 - 8 - 2)
#define PI 3.14159265358979323846

static double filter_box(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

static double filter_bilinear(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static double filter_hamming(double x) {
    if (x < 0.0) x = -x;
    if (x == 0.0) return 1.0;
    if (x >= 1.0) return 0.0;
    x = x * PI;
    return sin(x) / x * (0.54f + 0.46f * cos(x));
}

/* Keys' cubic with a = -0.5, as Pillow. */
static double filter_bicubic(double x) {
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

static double sinc(double x) {
    if (x == 0.0) return 1.0;
    x = x * PI;
    return sin(x) / x;
}

static double filter_lanczos(double x) {
    return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0;
}

rc_status rc_axis_weights_init(rc_axis_weights *w, int in_size, float in0, float in1, int out_total,
                               int out_first, int out_count, int filter) {
    double (*f)(double);
    double support;
    memset(w, 0, sizeof *w);
    switch (filter) {
    case RC_FILTER_BOX: f = filter_box; support = 0.5; break;
    case RC_FILTER_BILINEAR: f = filter_bilinear; support = 1.0; break;
    case RC_FILTER_HAMMING: f = filter_hamming; support = 1.0; break;
    case RC_FILTER_BICUBIC: f = filter_bicubic; support = 2.0; break;
    case RC_FILTER_LANCZOS: f = filter_lanczos; support = 3.0; break;
    default: return RC_ERR_ARGUMENT;
    }
    if (in_size <= 0 || out_total <= 0 || out_count <= 0 || out_first < 0 || out_first + out_count > out_total)
        return RC_ERR_ARGUMENT;
    /* Pillow subtracts the box edges in float, then divides in double. */
    double scale = (double)(in1 - in0) / out_total;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    support *= filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    if ((size_t)out_count > (size_t)INT_MAX / ((size_t)ksize * sizeof(double))) return RC_ERR_NOMEM;
    w->count = out_count;
    w->in_size = in_size;
    w->out_total = out_total;
    w->ksize = ksize;
    w->bounds = malloc(sizeof(int) * 2 * out_count);
    w->weights = calloc((size_t)out_count * ksize, sizeof(double));
    w->fixed = calloc((size_t)out_count * ksize, sizeof(int32_t));
    if (!w->bounds || !w->weights || !w->fixed) {
        rc_axis_weights_free(w);
        return RC_ERR_NOMEM;
    }
    int identity = 1;
    for (int i = 0; i < out_count; i++) {
        int xx = out_first + i;
        double center = in0 + (xx + 0.5) * scale;
        double ss = 1.0 / filterscale, ww = 0.0;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        if (xmax < 0) xmax = 0;
        double *k = &w->weights[(size_t)i * ksize];
        for (int x = 0; x < xmax; x++) {
            double v = f((x + xmin - center + 0.5) * ss);
            k[x] = v;
            ww += v;
        }
        for (int x = 0; x < xmax; x++)
            if (ww != 0.0) k[x] /= ww;
        int32_t *kf = &w->fixed[(size_t)i * ksize];
        for (int x = 0; x < ksize; x++)
            kf[x] = k[x] < 0 ? (int32_t)(-0.5 + k[x] * (1 << PRECISION_BITS))
                             : (int32_t)(0.5 + k[x] * (1 << PRECISION_BITS));
        w->bounds[2 * i] = xmin;
        w->bounds[2 * i + 1] = xmax;
        for (int x = 0; x < xmax; x++)
            if (k[x] != ((x + xmin == xx) ? 1.0 : 0.0)) identity = 0;
    }
    w->identity = identity && out_first == 0 && out_count == in_size;
    return RC_OK;
}

void rc_axis_weights_free(rc_axis_weights *w) {
    free(w->bounds);
    free(w->weights);
    free(w->fixed);
    memset(w, 0, sizeof *w);
}

void rc_axis_weights_span(const rc_axis_weights *w, int *first, int *end) {
    int lo = INT_MAX, hi = 0;
    for (int i = 0; i < w->count; i++) {
        int a = w->bounds[2 * i], n = w->bounds[2 * i + 1];
        if (n == 0) continue;
        if (a < lo) lo = a;
        if (a + n > hi) hi = a + n;
    }
    if (lo == INT_MAX) lo = hi = 0;
    *first = lo;
    *end = hi;
}

void rc_axis_weights_shift(rc_axis_weights *w, int delta) {
    for (int i = 0; i < w->count; i++) w->bounds[2 * i] -= delta;
}

static inline uint8_t clip8(int32_t v) {
    v >>= PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* out is (rows, wx->count, C); in rows are in_stride apart, starting at input row 0.
 * RGB rows go two at a time: six independent sums per tap share each weight load. */
static void horizontal_u8(uint8_t *out, const uint8_t *in, size_t in_stride, int rows, int C,
                          const rc_axis_weights *wx) {
    if (C == 3 && rc_isa_active() >= RC_ISA_AVX2) {
        rc_horizontal3_u8_avx2(out, in, in_stride, rows, wx);
        return;
    }
    int ow = wx->count, ks = wx->ksize;
    int y = 0;
    if (C == 3) {
        for (; y + 1 < rows; y += 2) {
            const uint8_t *src0 = in + (size_t)y * in_stride, *src1 = src0 + in_stride;
            uint8_t *dst0 = out + (size_t)y * ow * 3, *dst1 = dst0 + (size_t)ow * 3;
            for (int xx = 0; xx < ow; xx++) {
                int xmin = wx->bounds[2 * xx], n = wx->bounds[2 * xx + 1];
                const int32_t *k = &wx->fixed[(size_t)xx * ks];
                const uint8_t *p = src0 + (size_t)xmin * 3, *q = src1 + (size_t)xmin * 3;
                int32_t a0 = 1 << (PRECISION_BITS - 1), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
                for (int x = 0; x < n; x++, p += 3, q += 3) {
                    int32_t w = k[x];
                    a0 += p[0] * w;
                    a1 += p[1] * w;
                    a2 += p[2] * w;
                    b0 += q[0] * w;
                    b1 += q[1] * w;
                    b2 += q[2] * w;
                }
                dst0[3 * xx] = clip8(a0);
                dst0[3 * xx + 1] = clip8(a1);
                dst0[3 * xx + 2] = clip8(a2);
                dst1[3 * xx] = clip8(b0);
                dst1[3 * xx + 1] = clip8(b1);
                dst1[3 * xx + 2] = clip8(b2);
            }
        }
    }
    for (; y < rows; y++) {
        const uint8_t *src = in + (size_t)y * in_stride;
        uint8_t *dst = out + (size_t)y * ow * C;
        for (int xx = 0; xx < ow; xx++) {
            int xmin = wx->bounds[2 * xx], n = wx->bounds[2 * xx + 1];
            const int32_t *k = &wx->fixed[(size_t)xx * ks];
            const uint8_t *p = src + (size_t)xmin * C;
            for (int c = 0; c < C; c++) {
                int32_t s = 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < n; x++) s += p[x * C + c] * k[x];
                dst[C * xx + c] = clip8(s);
            }
        }
    }
}

/* out is (wy->count, line bytes); in rows are in_stride apart, row 0 = input row `row0`.
 * Row-at-a-time accumulation keeps the inner loop contiguous (it vectorizes). */
static void vertical_u8(uint8_t *out, const uint8_t *in, size_t in_stride, int row0, int line,
                        const rc_axis_weights *wy) {
    if (rc_isa_active() >= RC_ISA_AVX2) {
        rc_vertical_u8_avx2(out, in, in_stride, row0, line, wy);
        return;
    }
    int ks = wy->ksize;
    int32_t *acc = malloc(sizeof(int32_t) * (size_t)line);
    if (!acc) {  /* tiny fallback without scratch: column at a time */
        for (int yy = 0; yy < wy->count; yy++) {
            int ymin = wy->bounds[2 * yy] - row0, n = wy->bounds[2 * yy + 1];
            const int32_t *k = &wy->fixed[(size_t)yy * ks];
            for (int i = 0; i < line; i++) {
                int32_t s = 1 << (PRECISION_BITS - 1);
                for (int y = 0; y < n; y++) s += in[(size_t)(ymin + y) * in_stride + i] * k[y];
                out[(size_t)yy * line + i] = clip8(s);
            }
        }
        return;
    }
    for (int yy = 0; yy < wy->count; yy++) {
        int ymin = wy->bounds[2 * yy] - row0, n = wy->bounds[2 * yy + 1];
        const int32_t *k = &wy->fixed[(size_t)yy * ks];
        for (int i = 0; i < line; i++) acc[i] = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < n; y++) {
            const uint8_t *row = in + (size_t)(ymin + y) * in_stride;
            int32_t ky = k[y];
            for (int i = 0; i < line; i++) acc[i] += row[i] * ky;
        }
        uint8_t *dst = out + (size_t)yy * line;
        for (int i = 0; i < line; i++) dst[i] = clip8(acc[i]);
    }
    free(acc);
}

/* Pillow's choice of pass order (Resample.c, ImagingResampleInner). */
static int vertical_first(const rc_axis_weights *wx, const rc_axis_weights *wy) {
    int dy = wy->in_size - wy->out_total, dx = wx->in_size - wx->out_total;
    return dy > 0 && dy > dx * 2;
}

rc_status rc_resample_u8(uint8_t *out, const uint8_t *in, int in_w, int in_h, size_t in_stride,
                         int channels, const rc_axis_weights *wx, const rc_axis_weights *wy) {
    int y0, y1, x0, x1;
    rc_axis_weights_span(wy, &y0, &y1);
    rc_axis_weights_span(wx, &x0, &x1);
    if (y1 > in_h || x1 > in_w) return RC_ERR_ARGUMENT;
    int ow = wx->count, oh = wy->count, line = ow * channels;
    if (wy->identity) {
        if (wx->identity) {
            for (int y = 0; y < in_h; y++) memcpy(out + (size_t)y * line, in + (size_t)y * in_stride, line);
        } else {
            horizontal_u8(out, in, in_stride, in_h, channels, wx);
        }
        return RC_OK;
    }
    if (wx->identity) {
        vertical_u8(out, in, in_stride, 0, line, wy);
        return RC_OK;
    }
    if (vertical_first(wx, wy)) {
        /* vertical pass on the columns the horizontal pass reads, then horizontal */
        int cols = x1 - x0, tline = cols * channels;
        uint8_t *tmp = rc_scratch_acquire(RC_SCRATCH_RESAMPLE, (size_t)oh * tline + 1);
        if (!tmp) return RC_ERR_NOMEM;
        vertical_u8(tmp, in + (size_t)x0 * channels, in_stride, 0, tline, wy);
        rc_axis_weights shifted = *wx;
        int *bounds = malloc(sizeof(int) * 2 * (size_t)ow);
        if (!bounds) {
            rc_scratch_release(RC_SCRATCH_RESAMPLE, tmp);
            return RC_ERR_NOMEM;
        }
        for (int i = 0; i < ow; i++) {
            bounds[2 * i] = wx->bounds[2 * i] - x0;
            bounds[2 * i + 1] = wx->bounds[2 * i + 1];
        }
        shifted.bounds = bounds;
        horizontal_u8(out, tmp, tline, oh, channels, &shifted);
        free(bounds);
        rc_scratch_release(RC_SCRATCH_RESAMPLE, tmp);
        return RC_OK;
    }
    uint8_t *tmp = rc_scratch_acquire(RC_SCRATCH_RESAMPLE, (size_t)(y1 - y0) * line + 1);
    if (!tmp) return RC_ERR_NOMEM;
    horizontal_u8(tmp, in + (size_t)y0 * in_stride, in_stride, y1 - y0, channels, wx);
    vertical_u8(out, tmp, line, y0, line, wy);
    rc_scratch_release(RC_SCRATCH_RESAMPLE, tmp);
    return RC_OK;
}

rc_status rc_resample_f32(float *out, const float *in, int planes, int in_w, int in_h,
                          const rc_axis_weights *wx, const rc_axis_weights *wy) {
    int y0, y1;
    rc_axis_weights_span(wy, &y0, &y1);
    if (y1 > in_h) return RC_ERR_ARGUMENT;
    int ow = wx->count, oh = wy->count, rows = y1 - y0;
    float *tmp = malloc(sizeof(float) * ((size_t)rows * ow + 1));
    if (!tmp) return RC_ERR_NOMEM;
    for (int p = 0; p < planes; p++) {
        const float *src = in + (size_t)p * in_h * in_w;
        for (int y = 0; y < rows; y++) {
            const float *row = src + (size_t)(y0 + y) * in_w;
            for (int xx = 0; xx < ow; xx++) {
                int xmin = wx->bounds[2 * xx], n = wx->bounds[2 * xx + 1];
                const double *k = &wx->weights[(size_t)xx * wx->ksize];
                double s = 0.0;
                for (int x = 0; x < n; x++) s += row[xmin + x] * k[x];
                tmp[(size_t)y * ow + xx] = (float)s;
            }
        }
        float *dst = out + (size_t)p * oh * ow;
        for (int yy = 0; yy < oh; yy++) {
            int ymin = wy->bounds[2 * yy] - y0, n = wy->bounds[2 * yy + 1];
            const double *k = &wy->weights[(size_t)yy * wy->ksize];
            for (int xx = 0; xx < ow; xx++) {
                double s = 0.0;
                for (int y = 0; y < n; y++) s += tmp[(size_t)(ymin + y) * ow + xx] * k[y];
                dst[(size_t)yy * ow + xx] = (float)s;
            }
        }
    }
    free(tmp);
    return RC_OK;
}
