#include "nn/batchnorm.h"

#include <math.h>
#include <stddef.h>

static double invstd_of(float var, float eps) { return 1.0 / sqrt((double)var + (double)eps); }

void rc_batchnorm_stats(float *mean, float *var, const float *inp, int64_t N, int64_t C, int64_t HW) {
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < C; c++) {
        // Two passes: the shifted sum of squares does not cancel catastrophically when
        // |mean| >> std, which the one-pass E[x^2] - E[x]^2 does.
        double sum = 0.0;
        for (int64_t n = 0; n < N; n++) {
            const float *x = inp + (n * C + c) * HW;
            double part = 0.0;
            for (int64_t i = 0; i < HW; i++) part += x[i];
            sum += part;
        }
        double m = sum / (double)(N * HW);
        double sq = 0.0;
        for (int64_t n = 0; n < N; n++) {
            const float *x = inp + (n * C + c) * HW;
            double part = 0.0;
            for (int64_t i = 0; i < HW; i++) {
                double d = (double)x[i] - m;
                part += d * d;
            }
            sq += part;
        }
        mean[c] = (float)m;
        var[c] = (float)(sq / (double)(N * HW));
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
        for (int64_t n = 0; n < N; n++) {
            const float *x = inp + (n * C + c) * HW;
            const float *dy = dout + (n * C + c) * HW;
            double part_dy = 0.0, part_dy_xmu = 0.0;
            for (int64_t i = 0; i < HW; i++) {
                part_dy += dy[i];
                part_dy_xmu += (double)dy[i] * ((double)x[i] - m);
            }
            sum_dy += part_dy;
            sum_dy_xmu += part_dy_xmu;
        }
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
