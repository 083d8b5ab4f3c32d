/* AVX-512F microkernel, 14 x 32 tile: 28 zmm accumulators, 2 for the B row, 1 broadcast of A
 * (31 of 32 registers). Written with fixed-trip loops over arrays of __m512 that GCC fully
 * unrolls into registers at -O3. Dispatched only when rc_isa_active() == RC_ISA_AVX512. */
#include <immintrin.h>

#include "gemm/gemm.h"

#define MR 14
#define NR 32

void rc_sgemm_ukernel_avx512_14x32(int64_t k, const float *restrict a, const float *restrict b,
                                   float beta, float *restrict c, int64_t ldc) {
    __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm512_setzero_ps();
        acc1[i] = _mm512_setzero_ps();
    }
    for (int64_t p = 0; p < k; p++) {
        __m512 b0 = _mm512_load_ps(b + p * NR), b1 = _mm512_load_ps(b + p * NR + 16);
        const float *ap = a + p * MR;
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(ap[i]);
            acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
        }
    }
    if (beta == 0.0f) {
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            _mm512_storeu_ps(c + i * ldc, acc0[i]);
            _mm512_storeu_ps(c + i * ldc + 16, acc1[i]);
        }
    } else {
        __m512 bv = _mm512_set1_ps(beta);
#pragma GCC unroll 14
        for (int i = 0; i < MR; i++) {
            float *row = c + i * ldc;
            _mm512_storeu_ps(row, _mm512_fmadd_ps(bv, _mm512_loadu_ps(row), acc0[i]));
            _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(bv, _mm512_loadu_ps(row + 16), acc1[i]));
        }
    }
}
