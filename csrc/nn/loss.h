/* Softmax, log-softmax and the fused softmax + cross-entropy over the rows of an (N, C)
 * float32 matrix. Row statistics accumulate in double. Parallel over rows. */
#ifndef RESNETC_NN_LOSS_H
#define RESNETC_NN_LOSS_H

#include <stdint.h>

/* out[i, :] = x[i, :] - logsumexp(x[i, :]). Overwrites out. */
void rc_log_softmax_forward(float *out,       // (N, C)
                            const float *inp, // (N, C)
                            int64_t N, int64_t C);

/* dinp = dout - exp(out) * sum(dout) per row. Overwrites dinp. */
void rc_log_softmax_backward(float *dinp,       // (N, C)
                             const float *dout, // (N, C)
                             const float *out,  // (N, C) the forward's output
                             int64_t N, int64_t C);

/* out[i, :] = exp(x[i, :] - logsumexp(x[i, :])). Overwrites out. */
void rc_softmax_forward(float *out,       // (N, C)
                        const float *inp, // (N, C)
                        int64_t N, int64_t C);

/* dinp = out * (dout - sum(dout * out)) per row. Overwrites dinp. */
void rc_softmax_backward(float *dinp,       // (N, C)
                         const float *dout, // (N, C)
                         const float *out,  // (N, C) the forward's output
                         int64_t N, int64_t C);

/* Per-sample cross-entropy of logits with class-index targets, torch's semantics:
 *   loss[i] = -sum_c q[i, c] * log_softmax(x)[i, c],
 *   q[i, c] = (1 - smoothing) * w[t_i] * [c == t_i] + smoothing / C * w[c]
 * (w = 1 without weight); loss[i] = 0 where t_i == ignore_index. Targets other than
 * ignore_index must lie in [0, C) (the caller checks). Also writes each row's logsumexp for
 * the backward. Overwrites loss and lse. */
void rc_cross_entropy_forward(float *loss,           // (N)
                              float *lse,            // (N)
                              const float *inp,      // (N, C) logits
                              const int64_t *target, // (N)
                              const float *weight,   // (C) or NULL
                              int64_t ignore_index, float smoothing, int64_t N, int64_t C);

/* dinp[i, c] = scale[i] * (softmax(x)[i, c] * sum_c' q[i, c'] - q[i, c]): the gradient of
 * sum_i scale[i] * loss[i]; scale carries the reduction (1/total weight for 'mean').
 * Overwrites dinp. */
void rc_cross_entropy_backward(float *dinp,           // (N, C)
                               const float *inp,      // (N, C) logits
                               const float *lse,      // (N) from the forward
                               const int64_t *target, // (N)
                               const float *weight,   // (C) or NULL
                               const float *scale,    // (N)
                               int64_t ignore_index, float smoothing, int64_t N, int64_t C);

#endif
