/* The copy of whole NR-wide panels of a row-major B (not transposed), shared by the portable
 * driver and the AVX-512 packer: each compiles it with its own vector width (a row of a 32-wide
 * panel is two zmm moves with AVX-512, eight 16-byte ones in the portable build). */
#ifndef RESNETC_GEMM_PACK_B_ROWS_H
#define RESNETC_GEMM_PACK_B_ROWS_H

#include <stdint.h>
#include <string.h>

/* Rows [0, kc) of `panels` full panels of B (row-major, ldb floats apart) into bp, panel q at
 * bp + q*NR*kc. Eight rows at a time: reads are eight contiguous streams along the rows of B
 * and writes are 8*NR contiguous floats per panel. (Walking down one panel at a time reads with
 * a large stride, which defeats the prefetchers; one row at a time scatters single writes over
 * every panel.) */
static inline __attribute__((always_inline)) void pack_b_full_panels(int64_t kc, int64_t panels,
                                                                     const float *b, int64_t ldb,
                                                                     const int nr, float *bp) {
    int64_t p0 = 0;
    for (; p0 + 8 <= kc; p0 += 8)
        for (int64_t q = 0; q < panels; q++) {
            float *dst = bp + q * nr * kc + p0 * nr;
            const float *src = b + p0 * ldb + q * nr;
            for (int r = 0; r < 8; r++) memcpy(dst + r * nr, src + r * ldb, (size_t)nr * sizeof(float));
        }
    for (; p0 < kc; p0++)
        for (int64_t q = 0; q < panels; q++)
            memcpy(bp + q * nr * kc + p0 * nr, b + p0 * ldb + q * nr, (size_t)nr * sizeof(float));
}

#endif
