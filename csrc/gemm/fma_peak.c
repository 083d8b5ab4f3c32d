#include "gemm/fma_peak.h"

#include <omp.h>

#include "core/cpu_features.h"

double rc_fma_loop_generic(int64_t iters, float *sink) {
    float acc[16] = {0}, x = 1.0000001f, y = 0.9999999f;
    for (int64_t i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) acc[j] = acc[j] * x + y;
    float s = 0;
    for (int j = 0; j < 16; j++) s += acc[j];
    *sink = s;
    return 2.0 * 16.0 * (double)iters;
}

static volatile float keep;

double rc_fma_peak_gflops(int64_t iters) {
    rc_isa isa = rc_isa_active();
    double flops = 0.0, start = omp_get_wtime();
#pragma omp parallel reduction(+ : flops)
    {
        float sink = 0.0f;
        if (isa == RC_ISA_AVX512) flops += rc_fma_loop_avx512(iters, &sink);
        else if (isa == RC_ISA_AVX2) flops += rc_fma_loop_avx2(iters, &sink);
        else flops += rc_fma_loop_generic(iters, &sink);
        keep = sink; /* the results must look used, or the loops are dead code */
    }
    return flops / (omp_get_wtime() - start) / 1e9;
}
