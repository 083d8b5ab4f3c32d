#include "nn/activation.h"

/* Elementwise loops run serially below this size: a parallel region costs more than it saves. */
#define RC_PARALLEL_MIN 32768

void rc_relu_forward(float *out, const float *inp, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= RC_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = (x > 0.0f || x != x) ? x : 0.0f;
    }
}

/* Both operands are loaded unconditionally so the select compiles to a vector blend (a
 * conditional load of dout would keep the loop scalar). */
void rc_relu_backward(float *dinp, const float *dout, const float *out, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n >= RC_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float o = out[i], d = dout[i];
        dinp[i] = o <= 0.0f ? 0.0f : d; /* a NaN output passes the gradient, as torch's threshold_backward */
    }
}

void rc_masked_scale(float *out, const float *inp, const unsigned char *mask, float scale, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= RC_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) out[i] = inp[i] * (mask[i] ? scale : 0.0f); // NaN * 0 stays NaN, as in torch
}
