/* Measures the machine's single-precision FMA throughput with register-only loops (independent
 * accumulator chains, no memory traffic): the ceiling a GEMM microkernel can approach. */
#ifndef RESNETC_GEMM_FMA_PEAK_H
#define RESNETC_GEMM_FMA_PEAK_H

#include <stdint.h>

/* Runs `iters` iterations of the active ISA's FMA loop on every OpenMP thread; returns the
 * total GFLOP/s (2 flops per FMA lane) over the wall time. */
double rc_fma_peak_gflops(int64_t iters);

/* One thread's loop; returns the flops it performed. sink keeps the results alive. */
double rc_fma_loop_generic(int64_t iters, float *sink);
double rc_fma_loop_avx2(int64_t iters, float *sink);
double rc_fma_loop_avx512(int64_t iters, float *sink);

#endif
