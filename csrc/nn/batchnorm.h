/* Batch normalisation over NC(HW) float32 tensors: per-channel statistics, the affine
 * normalisation, and its backward. Every kernel here is parallel over channels (or over
 * (n, c) planes) and cannot fail. Input may be (N, C) (HW = 1) or (N, C, H, W). */
#ifndef RESNETC_NN_BATCHNORM_H
#define RESNETC_NN_BATCHNORM_H

#include <stdint.h>

/* Batch mean and biased variance of each channel in double precision: each plane in two passes
 * (mean, then centred sums), planes merged exactly. Overwrites mean and var. */
void rc_batchnorm_stats(float *mean,      // (C)
                        float *var,       // (C) biased: sum((x - mean)^2) / (N*HW)
                        const float *inp, // (N, C, HW)
                        int64_t N, int64_t C, int64_t HW);

/* out = (inp - mean) / sqrt(var + eps) * weight + bias. weight/bias NULL mean 1/0.
 * out may alias inp. Overwrites out. */
void rc_batchnorm_forward(float *out,          // (N, C, HW)
                          const float *inp,    // (N, C, HW)
                          const float *mean,   // (C)
                          const float *var,    // (C)
                          const float *weight, // (C) or NULL
                          const float *bias,   // (C) or NULL
                          float eps, int64_t N, int64_t C, int64_t HW);

/* Gradients of rc_batchnorm_forward. With `training`, mean/var are the batch statistics of
 * inp and the gradient flows through them too:
 *   dinp = weight * invstd * (dout - mean(dout) - xhat * mean(dout * xhat));
 * without, mean/var are constants (running stats) and dinp = dout * weight * invstd.
 * Overwrites dinp, dweight, dbias; any of them may be NULL when not wanted. dinp may alias
 * dout (each channel's sums are taken before its gradient is written). */
void rc_batchnorm_backward(float *dinp,         // (N, C, HW) or NULL
                           float *dweight,      // (C) or NULL: sum(dout * xhat)
                           float *dbias,        // (C) or NULL: sum(dout)
                           const float *dout,   // (N, C, HW)
                           const float *inp,    // (N, C, HW) the forward's input
                           const float *mean,   // (C)
                           const float *var,    // (C)
                           const float *weight, // (C) or NULL
                           float eps, int training, int64_t N, int64_t C, int64_t HW);

/* rc_batchnorm_backward for relu(rc_batchnorm_forward(inp)): dout is the gradient of the ReLU's
 * output, zeroed here where that output was <= 0 (as rc_relu_backward; NaN passes) by
 * recomputing the forward's value from inp, which saves the ReLU backward's pass. bias is the
 * forward's (NULL means 0). dinp may alias dout. */
void rc_batchnorm_relu_backward(float *dinp,         // (N, C, HW) or NULL
                                float *dweight,      // (C) or NULL
                                float *dbias,        // (C) or NULL
                                const float *dout,   // (N, C, HW) gradient of relu(bn(inp))
                                const float *inp,    // (N, C, HW)
                                const float *mean,   // (C)
                                const float *var,    // (C)
                                const float *weight, // (C) or NULL
                                const float *bias,   // (C) or NULL
                                float eps, int training, int64_t N, int64_t C, int64_t HW);

/* rc_batchnorm_backward where the batchnorm's output feeds a residual add and a ReLU, given the
 * gradient dout of that ReLU's output `out`: grelu receives the ReLU's input gradient (dout
 * where out > 0 or is NaN, else 0), which is also the dout of the batchnorm backward, in one
 * pass less than rc_relu_backward followed by rc_batchnorm_backward. grelu must not alias
 * dinp. */
void rc_batchnorm_backward_output_relu(float *dinp,         // (N, C, HW) or NULL
                                       float *dweight,      // (C) or NULL
                                       float *dbias,        // (C) or NULL
                                       float *grelu,        // (N, C, HW)
                                       const float *dout,   // (N, C, HW)
                                       const float *out,    // (N, C, HW) the ReLU's output
                                       const float *inp,    // (N, C, HW) the batchnorm's input
                                       const float *mean, const float *var, const float *weight,
                                       float eps, int training, int64_t N, int64_t C, int64_t HW);

#endif
