/* Software prefetch of the operand block the GEMM driver packs next, during the microkernel
 * calls of the current block.
 *
 * On the shapes where a 64-row A meets a batch-wide B (ResNet's stem and 56x56 3x3
 * convolutions folded over a batch), or where both operands stream past a small C (their
 * weight gradients), each element serves few flops and the operands are 100-240 MB: packing
 * them straight from memory stalls the core for a fifth of the run. The AVX-512 microkernel
 * prefetches the next block's lines into L2, a line per k step (rc_block_prefetch_line):
 * bursts of prefetches between calls mostly came too late or not at all (packing from memory
 * ran at 4.3 ns per 16 floats, after bursts 3.1-3.3, after a line per k step 1.7, from L2
 * 1.4). Between calls rc_block_prefetch_upto finishes what the kernels left (the other kernels
 * prefetch nothing). */
#ifndef RESNETC_GEMM_BLOCK_PREFETCH_H
#define RESNETC_GEMM_BLOCK_PREFETCH_H

#include <stdint.h>

typedef struct rc_block_prefetch {
    const char *row;    /* the current row; NULL when there is nothing (left) to prefetch */
    const char *line;   /* its next line to prefetch */
    int64_t rows_left;  /* rows not finished, the current one included */
    int64_t rows, row_bytes, stride_bytes;
} rc_block_prefetch;

static inline const char *rc_line_of(const char *p) {
    return (const char *)((uintptr_t)p & ~(uintptr_t)63);
}

/* `rows` rows of `cols` floats, `ld` floats apart, from `src` (NULL or an empty block: none). */
static inline rc_block_prefetch rc_block_prefetch_rows(const float *src, int64_t rows,
                                                       int64_t cols, int64_t ld) {
    rc_block_prefetch p = {(const char *)src, rc_line_of((const char *)src), rows,
                           rows, cols * (int64_t)sizeof(float), ld * (int64_t)sizeof(float)};
    if (!src || rows <= 0 || cols <= 0) p.row = NULL;
    return p;
}

static inline int rc_block_prefetch_pending(const rc_block_prefetch *p) { return p->row != NULL; }

/* Prefetches the next line (into L2: the block is packed only after the current one, and L1
 * holds the microkernel's panels). */
static inline __attribute__((always_inline)) void rc_block_prefetch_line(rc_block_prefetch *p) {
    if (!p->row) return;
    __builtin_prefetch(p->line, 0, 2);
    p->line += 64;
    if (p->line >= p->row + p->row_bytes) {
        p->row = --p->rows_left > 0 ? p->row + p->stride_bytes : NULL;
        p->line = rc_line_of(p->row);
    }
}

/* Finishes the rows up to the share `step / steps` of the block. */
static inline void rc_block_prefetch_upto(rc_block_prefetch *p, int64_t step, int64_t steps) {
    const int64_t upto = step >= steps ? p->rows : p->rows * step / steps;
    while (p->row && p->rows - p->rows_left < upto) rc_block_prefetch_line(p);
}

#endif
