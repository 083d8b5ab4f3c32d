#include "nn/batchnorm.h"

#include <math.h>
#include <stddef.h>

static double invstd_of(float var, float eps) { return 1.0 / sqrt((double)var + (double)eps); }

/* Reductions run in float over 8 independent lanes (which the compiler vectorises without
 * -ffast-math) and move to double every RC_BN_BLOCK elements, so each float partial sum holds
 * at most RC_BN_BLOCK/8 terms: float speed, double-like accuracy. */
#define RC_BN_BLOCK 256
#define RC_BN_LANES 8

/* s1 += sum(x - shift), s2 += sum((x - shift)^2). */
static void centered_sums(const float *x, int64_t n, float shift, double *s1, double *s2) {
    for (int64_t start = 0; start < n; start += RC_BN_BLOCK) {
        int64_t end = start + RC_BN_BLOCK < n ? start + RC_BN_BLOCK : n;
        float a[RC_BN_LANES] = {0}, b[RC_BN_LANES] = {0};
        int64_t i = start;
        for (; i + RC_BN_LANES <= end; i += RC_BN_LANES) {
            for (int j = 0; j < RC_BN_LANES; j++) {
                float d = x[i + j] - shift;
                a[j] += d;
                b[j] += d * d;
            }
        }
        double pa = 0.0, pb = 0.0;
        for (; i < end; i++) {
            double d = (double)x[i] - shift;
            pa += d;
            pb += d * d;
        }
        for (int j = 0; j < RC_BN_LANES; j++) pa += a[j], pb += b[j];
        *s1 += pa;
        *s2 += pb;
    }
}

/* s1 += sum(dy), s2 += sum(dy * (x - shift)). */
static void grad_sums(const float *dy, const float *x, int64_t n, float shift, double *s1, double *s2) {
    for (int64_t start = 0; start < n; start += RC_BN_BLOCK) {
        int64_t end = start + RC_BN_BLOCK < n ? start + RC_BN_BLOCK : n;
        float a[RC_BN_LANES] = {0}, b[RC_BN_LANES] = {0};
        int64_t i = start;
        for (; i + RC_BN_LANES <= end; i += RC_BN_LANES) {
            for (int j = 0; j < RC_BN_LANES; j++) {
                a[j] += dy[i + j];
                b[j] += dy[i + j] * (x[i + j] - shift);
            }
        }
        double pa = 0.0, pb = 0.0;
        for (; i < end; i++) {
            pa += dy[i];
            pb += (double)dy[i] * ((double)x[i] - shift);
        }
        for (int j = 0; j < RC_BN_LANES; j++) pa += a[j], pb += b[j];
        *s1 += pa;
        *s2 += pb;
    }
}

void rc_batchnorm_stats(float *mean, float *var, const float *inp, int64_t N, int64_t C, int64_t HW) {
    const double count = (double)(N * HW);
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < C; c++) {
        // Two passes: a rough mean, then sums centred on it. Centring keeps the squares from
        // cancelling catastrophically when |mean| >> std (the one-pass E[x^2] - E[x]^2 does),
        // and the residual sum of (x - shift) corrects for the shift being rounded.
        double sum = 0.0, unused = 0.0;
        for (int64_t n = 0; n < N; n++) centered_sums(inp + (n * C + c) * HW, HW, 0.0f, &sum, &unused);
        float shift = (float)(sum / count);
        double s1 = 0.0, s2 = 0.0;
        for (int64_t n = 0; n < N; n++) centered_sums(inp + (n * C + c) * HW, HW, shift, &s1, &s2);
        double d = s1 / count;
        double v = s2 / count - d * d;
        mean[c] = (float)((double)shift + d);
        var[c] = (float)(v > 0.0 ? v : 0.0);
    }
}

void rc_batchnorm_forward(float *out, const float *inp, const float *mean, const float *var,
                          const float *weight, const float *bias, float eps,
                          int64_t N, int64_t C, int64_t HW) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; n++) {
        for (int64_t c = 0; c < C; c++) {
            // (x - mean) first: folding mean into the shift (x * scale + shift) would cancel
            // catastrophically when |mean| >> std.
            double invstd = invstd_of(var[c], eps);
            float m = mean[c];
            float scale = (float)((weight ? weight[c] : 1.0) * invstd);
            float shift = bias ? bias[c] : 0.0f;
            const float *x = inp + (n * C + c) * HW;
            float *y = out + (n * C + c) * HW;
            for (int64_t i = 0; i < HW; i++) y[i] = (x[i] - m) * scale + shift;
        }
    }
}

void rc_batchnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *mean, const float *var,
                           const float *weight, float eps, int training,
                           int64_t N, int64_t C, int64_t HW) {
    const double count = (double)(N * HW);
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < C; c++) {
        double invstd = invstd_of(var[c], eps);
        double m = mean[c];
        double w = weight ? weight[c] : 1.0;
        double sum_dy = 0.0, sum_dy_xmu = 0.0;
        for (int64_t n = 0; n < N; n++)
            grad_sums(dout + (n * C + c) * HW, inp + (n * C + c) * HW, HW, mean[c], &sum_dy, &sum_dy_xmu);
        if (dbias) dbias[c] = (float)sum_dy;
        if (dweight) dweight[c] = (float)(sum_dy_xmu * invstd);
        if (!dinp) continue;
        if (training) {
            // dinp = w*invstd*(dy - mean(dy) - xhat*mean(dy*xhat)), xhat = (x - m)*invstd,
            // rearranged as dy*a + (x - m)*b + k with per-channel constants.
            double mean_dy = sum_dy / count;
            double proj = sum_dy_xmu / count * invstd * invstd; // mean(dy*xhat) * invstd
            float a = (float)(w * invstd);
            float b = (float)(-w * invstd * proj);
            float k = (float)(-w * invstd * mean_dy);
            float mf = (float)m;
            for (int64_t n = 0; n < N; n++) {
                const float *x = inp + (n * C + c) * HW;
                const float *dy = dout + (n * C + c) * HW;
                float *dx = dinp + (n * C + c) * HW;
                for (int64_t i = 0; i < HW; i++) dx[i] = dy[i] * a + (x[i] - mf) * b + k;
            }
        } else {
            float a = (float)(w * invstd);
            for (int64_t n = 0; n < N; n++) {
                const float *dy = dout + (n * C + c) * HW;
                float *dx = dinp + (n * C + c) * HW;
                for (int64_t i = 0; i < HW; i++) dx[i] = dy[i] * a;
            }
        }
    }
}
