/* Portable dot-product blocks for the skinny NT GEMM (sgemm_nt_dot.h): one C element at a
 * time, eight partial sums so the compiler can vectorise the reduction without -ffast-math. */
#include "gemm/sgemm_nt_dot.h"

void rc_nt_dot_block_generic(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t p0,
                             int64_t kc, float alpha, const float *a, int64_t lda, const float *b,
                             int64_t ldb, float beta, int first, float *c, int64_t ldc) {
    for (int64_t i = i0; i < i1; i++)
        for (int64_t j = j0; j < j1; j++) {
            const float *x = a + i * lda + p0, *y = b + j * ldb + p0;
            float part[8] = {0};
            int64_t p = 0;
            for (; p + 8 <= kc; p += 8)
                for (int l = 0; l < 8; l++) part[l] += x[p + l] * y[p + l];
            float sum = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
            for (; p < kc; p++) sum += x[p] * y[p];
            float v = alpha * sum, *dst = c + i * ldc + j;
            if (!first) *dst += v;
            else *dst = beta == 0.0f ? v : v + beta * *dst;
        }
}
