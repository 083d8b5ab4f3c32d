#include <immintrin.h>

#include "gemm/fma_peak.h"

/* 12 independent ymm chains: enough to cover 4-cycle FMA latency on 2 FMA pipes. */
double rc_fma_loop_avx2(int64_t iters, float *sink) {
    __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
    __m256 a[12];
    for (int j = 0; j < 12; j++) a[j] = _mm256_set1_ps((float)j);
    for (int64_t i = 0; i < iters; i++) {
#pragma GCC unroll 12
        for (int j = 0; j < 12; j++) a[j] = _mm256_fmadd_ps(a[j], x, y);
    }
    __m256 s = a[0];
    for (int j = 1; j < 12; j++) s = _mm256_add_ps(s, a[j]);
    float out[8];
    _mm256_storeu_ps(out, s);
    *sink = out[0];
    return 2.0 * 8.0 * 12.0 * (double)iters;
}
