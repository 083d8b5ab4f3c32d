/* The "skinny NT" GEMM: C = alpha * A @ B^T + beta * C where A is (M, K) and B is (N, K), both
 * with rows contiguous in K, M*N small and K long (a grouped convolution's weight gradient:
 * dW_g (Kg x Cg*KH*KW) = dout_g (Kg x OH*OW) @ col_g^T). Packing would copy both operands to
 * use each element a handful of times; instead every C element is a dot product of two rows,
 * register-blocked 4 rows x 3 columns, K in chunks that stay in L1. Same argument contract
 * as rc_sgemm (without bias); called by it when the shape fits. */
#ifndef RESNETC_GEMM_SGEMM_NT_DOT_H
#define RESNETC_GEMM_SGEMM_NT_DOT_H

#include <stdint.h>

/* c is (M, N) row stride ldc; a is (M, K) row stride lda; b is (N, K) row stride ldb.
 * Computes rows [i0, i1) x columns [j0, j1) of C over K range [p0, p0 + kc); `first` says
 * whether this K range is the first (then beta applies; beta == 0 does not read C). */
typedef void (*rc_nt_dot_block_fn)(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t p0,
                                   int64_t kc, float alpha, const float *a, int64_t lda,
                                   const float *b, int64_t ldb, float beta, int first, float *c,
                                   int64_t ldc);

void rc_nt_dot_block_generic(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t p0,
                             int64_t kc, float alpha, const float *a, int64_t lda, const float *b,
                             int64_t ldb, float beta, int first, float *c, int64_t ldc);
void rc_nt_dot_block_avx2(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t p0, int64_t kc,
                          float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                          float beta, int first, float *c, int64_t ldc);

#endif
