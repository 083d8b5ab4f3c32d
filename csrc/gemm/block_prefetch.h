/* Software prefetch of the operand block the GEMM driver packs next, spread over the
 * microkernel calls of the current block.
 *
 * On the shapes where a 64-row A meets a batch-wide B (ResNet's stem and 56x56 3x3
 * convolutions folded over a batch), each element of B serves only 128 flops and B is 100-240
 * MB: packing it straight from memory stalls the core for a fifth of the run. Prefetching the
 * next block's rows into L2 a few at a time, between microkernel calls, overlaps that read with
 * compute; a burst of prefetches all at once would fill the miss queues and stall the
 * microkernel instead. */
#ifndef RESNETC_GEMM_BLOCK_PREFETCH_H
#define RESNETC_GEMM_BLOCK_PREFETCH_H

#include <stdint.h>

typedef struct {
    const char *src;    /* first row; NULL when there is nothing to prefetch */
    int64_t rows, row_bytes, stride_bytes;
    int64_t done;       /* rows already prefetched */
} rc_block_prefetch;

/* `rows` rows of `cols` floats, `ld` floats apart, from `src` (NULL or an empty block: none). */
static inline rc_block_prefetch rc_block_prefetch_rows(const float *src, int64_t rows,
                                                       int64_t cols, int64_t ld) {
    rc_block_prefetch p = {(const char *)src, rows, cols * (int64_t)sizeof(float), ld * (int64_t)sizeof(float), 0};
    if (rows <= 0 || cols <= 0) p.src = NULL;
    return p;
}

/* Prefetches rows up to the share `step / steps` of the block (into L2: the block is packed
 * only after the current one, and L1 holds the microkernel's panels). */
static inline void rc_block_prefetch_upto(rc_block_prefetch *p, int64_t step, int64_t steps) {
    if (!p->src) return;
    const int64_t upto = step >= steps ? p->rows : p->rows * step / steps;
    for (; p->done < upto; p->done++) {
        uintptr_t row = (uintptr_t)(p->src + p->done * p->stride_bytes);
        for (uintptr_t line = row & ~(uintptr_t)63; line < row + (uintptr_t)p->row_bytes; line += 64)
            __builtin_prefetch((const void *)line, 0, 2);
    }
}

#endif
