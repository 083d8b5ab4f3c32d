#include "nn/loss.h"

#include <math.h>

static double row_logsumexp(const float *x, int64_t C) {
    float mx = -INFINITY;
    for (int64_t c = 0; c < C; c++) mx = (x[c] > mx || x[c] != x[c]) ? x[c] : mx;
    if (isinf(mx)) return mx; // all -inf (or a +inf): avoid inf - inf
    double sum = 0.0;
    for (int64_t c = 0; c < C; c++) sum += exp((double)x[c] - (double)mx);
    return (double)mx + log(sum);
}

void rc_log_softmax_forward(float *out, const float *inp, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; i++) {
        const float *x = inp + i * C;
        float *y = out + i * C;
        double lse = row_logsumexp(x, C);
        for (int64_t c = 0; c < C; c++) y[c] = (float)((double)x[c] - lse);
    }
}

void rc_log_softmax_backward(float *dinp, const float *dout, const float *out, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; i++) {
        const float *dy = dout + i * C, *y = out + i * C;
        float *dx = dinp + i * C;
        double sum = 0.0;
        for (int64_t c = 0; c < C; c++) sum += dy[c];
        for (int64_t c = 0; c < C; c++) dx[c] = (float)((double)dy[c] - exp((double)y[c]) * sum);
    }
}

void rc_softmax_forward(float *out, const float *inp, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; i++) {
        const float *x = inp + i * C;
        float *y = out + i * C;
        double lse = row_logsumexp(x, C);
        for (int64_t c = 0; c < C; c++) y[c] = (float)exp((double)x[c] - lse);
    }
}

void rc_softmax_backward(float *dinp, const float *dout, const float *out, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; i++) {
        const float *dy = dout + i * C, *y = out + i * C;
        float *dx = dinp + i * C;
        double dot = 0.0;
        for (int64_t c = 0; c < C; c++) dot += (double)dy[c] * y[c];
        for (int64_t c = 0; c < C; c++) dx[c] = (float)(y[c] * ((double)dy[c] - dot));
    }
}

void rc_cross_entropy_forward(float *loss, float *lse, const float *inp, const int64_t *target,
                              const float *weight, int64_t ignore_index, float smoothing,
                              int64_t N, int64_t C) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; i++) {
        const float *x = inp + i * C;
        double l = row_logsumexp(x, C);
        lse[i] = (float)l;
        int64_t t = target[i];
        if (t == ignore_index) {
            loss[i] = 0.0f;
            continue;
        }
        double wt = weight ? weight[t] : 1.0;
        double total = (1.0 - smoothing) * wt * (l - x[t]);
        if (smoothing > 0.0f) {
            double smooth = 0.0; // -sum_c w[c] * logp[c]
            for (int64_t c = 0; c < C; c++) smooth += (weight ? weight[c] : 1.0) * (l - x[c]);
            total += smoothing / (double)C * smooth;
        }
        loss[i] = (float)total;
    }
}

void rc_cross_entropy_backward(float *dinp, const float *inp, const float *lse, const int64_t *target,
                               const float *weight, const float *scale, int64_t ignore_index,
                               float smoothing, int64_t N, int64_t C) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; i++) {
        const float *x = inp + i * C;
        float *dx = dinp + i * C;
        int64_t t = target[i];
        if (t == ignore_index) {
            for (int64_t c = 0; c < C; c++) dx[c] = 0.0f;
            continue;
        }
        double s = scale[i];
        double eps_c = smoothing / (double)C;
        double hard = (1.0 - smoothing) * (weight ? weight[t] : 1.0);
        // sum_c q[i, c]: the target's share plus the smoothing spread over all classes.
        double qsum = hard;
        if (smoothing > 0.0f) {
            double wsum = 0.0;
            for (int64_t c = 0; c < C; c++) wsum += weight ? weight[c] : 1.0;
            qsum += eps_c * wsum;
        }
        double l = lse[i];
        for (int64_t c = 0; c < C; c++) {
            double q = eps_c * (weight ? weight[c] : 1.0) + (c == t ? hard : 0.0);
            dx[c] = (float)(s * (exp((double)x[c] - l) * qsum - q));
        }
    }
}
