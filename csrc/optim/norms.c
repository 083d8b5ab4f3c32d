#include "optim/norms.h"

#include <omp.h>

/* Below this many elements a second thread costs more than it saves. */
#define RC_NORMS_PARALLEL_MIN (1 << 16)
#define RC_NORMS_MAX_THREADS 256

/* Eight independent double accumulators: explicit lanes GCC vectorises without reassociating. */
static double sum_squares_range(const float *x, int64_t begin, int64_t end) {
    double lane[8] = {0};
    int64_t i = begin;
    for (; i + 8 <= end; i += 8)
        for (int j = 0; j < 8; j++) lane[j] += (double)x[i + j] * (double)x[i + j];
    for (; i < end; i++) lane[0] += (double)x[i] * (double)x[i];
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

double rc_sum_of_squares(const float *x, int64_t n) {
    int threads = n < RC_NORMS_PARALLEL_MIN || omp_in_parallel() ? 1 : omp_get_max_threads();
    if (threads > RC_NORMS_MAX_THREADS) threads = RC_NORMS_MAX_THREADS;
    if (threads <= 1) return sum_squares_range(x, 0, n);
    double partial[RC_NORMS_MAX_THREADS] = {0};
#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        partial[t] = sum_squares_range(x, n * t / nt, n * (t + 1) / nt);
    }
    double total = 0.0;
    for (int t = 0; t < threads; t++) total += partial[t];
    return total;
}
