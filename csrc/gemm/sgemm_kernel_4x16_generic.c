/* Portable microkernel, 4 x 16 tile. Plain C the compiler can vectorise with baseline SSE2;
 * also the readable statement of the microkernel contract (gemm.h). */
#include "gemm/gemm.h"

#define MR 4
#define NR 16

void rc_sgemm_ukernel_generic_4x16(int64_t k, const float *restrict a, const float *restrict b,
                                   float beta, float *restrict c, int64_t ldc) {
    float acc[MR][NR] = {{0}};
    for (int64_t p = 0; p < k; p++) {
        const float *ap = a + p * MR, *bp = b + p * NR;
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] += ap[i] * bp[j];
    }
    for (int i = 0; i < MR; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < NR; j++) row[j] = acc[i][j];
        else
            for (int j = 0; j < NR; j++) row[j] = acc[i][j] + beta * row[j];
    }
}
