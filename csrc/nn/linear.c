#include "nn/linear.h"

#include "gemm/gemm.h"

rc_status rc_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                            int64_t n, int64_t in_features, int64_t out_features) {
    return rc_sgemm(0, 1, n, out_features, in_features, 1.0f, inp, in_features, weight, in_features,
                    0.0f, out, out_features, bias, bias ? RC_GEMM_BIAS_COL : RC_GEMM_NO_BIAS);
}

rc_status rc_linear_backward_data(float *dinp, const float *dout, const float *weight, int64_t n,
                                  int64_t in_features, int64_t out_features) {
    return rc_sgemm(0, 0, n, in_features, out_features, 1.0f, dout, out_features, weight,
                    in_features, 1.0f, dinp, in_features, NULL, RC_GEMM_NO_BIAS);
}

rc_status rc_linear_backward_weight(float *dweight, float *dbias, const float *dout,
                                    const float *inp, int64_t n, int64_t in_features,
                                    int64_t out_features) {
    rc_status status = rc_sgemm(1, 0, out_features, in_features, n, 1.0f, dout, out_features, inp,
                                in_features, 1.0f, dweight, in_features, NULL, RC_GEMM_NO_BIAS);
    if (status != RC_OK || !dbias) return status;
#pragma omp parallel for schedule(static) if (n * out_features > 65536)
    for (int64_t j = 0; j < out_features; j++) {
        double acc = 0.0;
        for (int64_t i = 0; i < n; i++) acc += dout[i * out_features + j];
        dbias[j] += (float)acc;
    }
    return RC_OK;
}
