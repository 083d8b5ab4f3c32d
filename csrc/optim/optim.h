/* Fused optimizer updates: one pass over (param, grad, state) per element, for a whole list of
 * parameter tensors at once. The work is cut into fixed-size chunks across all tensors and the
 * chunks are shared among OpenMP threads, so small and large tensors balance.
 *
 * Arithmetic is float32 in the same order as torch.optim's single-tensor (for-loop) path, with
 * every scalar rounded to float32 where torch rounds it (a Python scalar applied to a float32
 * tensor). Per-tensor scalars that depend on the step count (bias corrections, NAdam's mu
 * products, RAdam's rectification) are computed by the caller in double, as torch does in Python. */
#ifndef RESNETC_OPTIM_OPTIM_H
#define RESNETC_OPTIM_OPTIM_H

#include <stdint.h>

#include "core/status.h"

typedef enum {
    RC_OPTIM_SGD = 0,
    RC_OPTIM_ADAM = 1,     /* Adam and AdamW (decoupled weight decay) */
    RC_OPTIM_RMSPROP = 2,
    RC_OPTIM_ADAGRAD = 3,
    RC_OPTIM_NADAM = 4,
    RC_OPTIM_RADAM = 5,
    RC_OPTIM_KIND_COUNT
} rc_optim_kind;

/* Hyperparameters shared by a parameter group. Unused fields are ignored by a kind. */
typedef struct {
    double lr;
    double weight_decay;
    int decoupled_weight_decay; /* Adam/NAdam/RAdam: p *= 1 - lr*wd instead of g += wd*p */
    int maximize;
    double beta1, beta2, eps;   /* Adam, NAdam, RAdam; RMSprop: beta2 is alpha; Adagrad: eps */
    double momentum, dampening; /* SGD, RMSprop (momentum only) */
    int nesterov;               /* SGD */
    int amsgrad;                /* Adam */
    int centered;               /* RMSprop */
} rc_optim_hparams;

#define RC_OPTIM_NCOEF 4

/* One parameter tensor: n contiguous float32 elements in each non-NULL array.
 * state0..2 per kind:
 *   SGD      momentum_buffer (or NULL when momentum == 0)
 *   Adam     exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad only)
 *   RMSprop  square_avg, momentum_buffer (momentum > 0), grad_avg (centered)
 *   Adagrad  sum
 *   NAdam    exp_avg, exp_avg_sq
 *   RAdam    exp_avg, exp_avg_sq
 * coef (double, from the step count) per kind:
 *   SGD      [0] 1 if the momentum buffer is new (it is set to the gradient)
 *   Adam     [0] step_size = lr / (1 - beta1^t)   [1] sqrt(1 - beta2^t)
 *   Adagrad  [0] clr = lr / (1 + (t-1) lr_decay)
 *   NAdam    [0] 1 - beta2^t  [1] -lr (1-mu) / (1-mu_product)  [2] -lr mu_next / (1-mu_product_next)
 *   RAdam    [0] 1 - beta1^t  [1] sqrt(1 - beta2^t)  [2] rect  [3] 1 if rho_t > 5 */
typedef struct {
    float *param;       /* (n) updated in place */
    const float *grad;  /* (n) */
    float *state0;      /* (n) or NULL */
    float *state1;      /* (n) or NULL */
    float *state2;      /* (n) or NULL */
    int64_t n;
    double coef[RC_OPTIM_NCOEF];
} rc_optim_tensor;

/* Updates every tensor of `tensors` (ntensors entries) in place. Fails only on a bad kind or
 * when the chunk table cannot be allocated. */
rc_status rc_optim_step(rc_optim_kind kind, const rc_optim_hparams *h, const rc_optim_tensor *tensors,
                        int64_t ntensors);

/* The element loop for one contiguous range [begin, end) of one tensor. Several builds of it
 * exist (one per ISA, same source); rc_optim_step picks one by rc_isa_active(). */
typedef void (*rc_optim_range_fn)(const rc_optim_hparams *h, const rc_optim_tensor *t, int64_t begin,
                                  int64_t end);

/* The per-kind range functions of each build; NULL entries never happen. */
extern const rc_optim_range_fn rc_optim_ranges_generic[RC_OPTIM_KIND_COUNT];
extern const rc_optim_range_fn rc_optim_ranges_avx2[RC_OPTIM_KIND_COUNT];
extern const rc_optim_range_fn rc_optim_ranges_avx512[RC_OPTIM_KIND_COUNT];

#endif
