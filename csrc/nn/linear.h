/* Fully connected layer through the GEMM engine (gemm/gemm.h):
 *   forward          out   = inp @ W^T + bias      (bias fused in the GEMM)
 *   backward-data    dinp += dout @ W
 *   backward-weight  dW   += dout^T @ inp ; dbias += column sums of dout */
#ifndef RESNETC_NN_LINEAR_H
#define RESNETC_NN_LINEAR_H

#include <stdint.h>

#include "core/status.h"

/* out is (N, OUT), overwritten
 * inp is (N, IN)
 * weight is (OUT, IN)
 * bias is (OUT,) or NULL */
rc_status rc_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                            int64_t n, int64_t in_features, int64_t out_features);

/* dinp is (N, IN), accumulated into (+=)
 * dout is (N, OUT)
 * weight is (OUT, IN) */
rc_status rc_linear_backward_data(float *dinp, const float *dout, const float *weight, int64_t n,
                                  int64_t in_features, int64_t out_features);

/* dweight is (OUT, IN), accumulated into (+=)
 * dbias is (OUT,), accumulated into (+=), or NULL to skip it
 * dout is (N, OUT)
 * inp is (N, IN) */
rc_status rc_linear_backward_weight(float *dweight, float *dbias, const float *dout,
                                    const float *inp, int64_t n, int64_t in_features,
                                    int64_t out_features);

#endif
