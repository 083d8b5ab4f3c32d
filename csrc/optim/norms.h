/* Reductions over gradients for norms and clipping, without NumPy: np.dot would wake
 * OpenBLAS's threads (which then spin beside ours), and a float64 copy would allocate. */
#ifndef RESNETC_OPTIM_NORMS_H
#define RESNETC_OPTIM_NORMS_H

#include <stdint.h>

/* sum of x[i]^2 over n floats, accumulated in double. The result depends only on n and the
 * thread count (fixed partial sums, added in thread order). */
double rc_sum_of_squares(const float *x, int64_t n);

#endif
