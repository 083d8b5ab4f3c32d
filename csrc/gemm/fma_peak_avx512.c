#include <immintrin.h>

#include "gemm/fma_peak.h"

/* 16 independent zmm chains. */
double rc_fma_loop_avx512(int64_t iters, float *sink) {
    __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
    __m512 a[16];
    for (int j = 0; j < 16; j++) a[j] = _mm512_set1_ps((float)j);
    for (int64_t i = 0; i < iters; i++) {
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) a[j] = _mm512_fmadd_ps(a[j], x, y);
    }
    __m512 s = a[0];
    for (int j = 1; j < 16; j++) s = _mm512_add_ps(s, a[j]);
    *sink = _mm512_reduce_add_ps(s);
    return 2.0 * 16.0 * 16.0 * (double)iters;
}
