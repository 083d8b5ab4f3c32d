/* Portable microkernels in plain C the compiler can vectorise with baseline SSE2; also the
 * readable statement of the microkernel contract (gemm.h).
 * 4 x 8 is the generic ISA's tile (32 accumulators: 8 SSE registers; 4 x 16 spills). 14 x 32 has the AVX-512 kernel's geometry: tests run the
 * driver with it (rc_sgemm_force_config) so packing and edge tiles for that geometry are
 * checked on machines without AVX-512. */
#include "gemm/gemm.h"

#define RC_GENERIC_UKERNEL(NAME, MR, NR)                                                          \
    void NAME(int64_t k, const float *restrict a, const float *restrict b, float beta,           \
              float *restrict c, int64_t ldc, struct rc_block_prefetch *pf) {                     \
        (void)pf; /* the driver prefetches between calls */                                       \
        float acc[MR][NR] = {{0}};                                                                \
        for (int64_t p = 0; p < k; p++) {                                                         \
            const float *ap = a + p * MR, *bp = b + p * NR;                                       \
            for (int i = 0; i < MR; i++)                                                          \
                for (int j = 0; j < NR; j++) acc[i][j] += ap[i] * bp[j];                          \
        }                                                                                         \
        for (int i = 0; i < MR; i++) {                                                            \
            float *row = c + i * ldc;                                                             \
            if (beta == 0.0f)                                                                     \
                for (int j = 0; j < NR; j++) row[j] = acc[i][j];                                  \
            else                                                                                  \
                for (int j = 0; j < NR; j++) row[j] = acc[i][j] + beta * row[j];                  \
        }                                                                                         \
    }

RC_GENERIC_UKERNEL(rc_sgemm_ukernel_generic_4x8, 4, 8)
RC_GENERIC_UKERNEL(rc_sgemm_ukernel_generic_14x32, 14, 32)
