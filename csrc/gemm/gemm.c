/* The GEMM driver: blocking, packing, edge tiles, epilogue, threading, ISA dispatch.
 * Loop nest (BLIS): jc over N by NC -> pc over K by KC (pack B block) -> ic over M by MC
 * (pack A block) -> jr over NR panels -> ir over MR panels -> microkernel. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu_features.h"
#include "gemm/block_prefetch.h"
#include "gemm/gemm.h"
#include "gemm/pack_b_rows.h"
#include "gemm/sgemm_nt_dot.h"

static const rc_sgemm_config configs[] = {
    [RC_ISA_GENERIC] = {rc_sgemm_ukernel_generic_4x8, "generic_4x8", 4, 8, 128, 256, 4096},
    /* 6x16: 12 ymm accumulators. B panel 256x16x4 = 16 KiB in L1 (32 KiB), A block
     * 144x256x4 = 144 KiB in L2 (512 KiB here), B block 256x1024x4 = 1 MiB in L2/L3 (NC 1024 measured
     * a little faster than 4080 on ResNet shapes: the block is packed and reread while warm;
     * b_block_width narrows it for a single A block). */
    [RC_ISA_AVX2] = {rc_sgemm_ukernel_avx2_6x16, "avx2_6x16", 6, 16, 144, 256, 1024,
                     rc_sgemm_pack_bt16_avx2, rc_sgemm_pack_a6_avx2, rc_sgemm_ukernel_avx2_short_6x16,
                     rc_sgemm_ukernel_avx2_narrow_6x8},
    /* 14x32: 28 zmm accumulators; B panel 256x32x4 = 32 KiB, half of a 48 KiB+ L1. */
    [RC_ISA_AVX512] = {rc_sgemm_ukernel_avx512_14x32, "avx512_14x32", 14, 32, 168, 256, 4096,
                       rc_sgemm_pack_bt32_avx512, rc_sgemm_pack_a14_avx512,
                       rc_sgemm_ukernel_avx512_short_14x32, rc_sgemm_ukernel_avx512_narrow_14x16,
                       rc_sgemm_pack_b32_avx512},
};

/* The AVX-512 geometry in portable C, for tests of the driver (see rc_sgemm_force_config). */
static const rc_sgemm_config generic_14x32 = {rc_sgemm_ukernel_generic_14x32, "generic_14x32",
                                              14, 32, 168, 256, 4096};
static const rc_sgemm_config *forced;

const rc_sgemm_config *rc_sgemm_active_config(void) {
    return forced ? forced : &configs[rc_isa_active()];
}

int rc_sgemm_force_config(const char *name) {
    if (!name) {
        forced = NULL;
        return 0;
    }
    if (strcmp(name, generic_14x32.name) == 0) {
        forced = &generic_14x32;
        return 0;
    }
    for (int isa = RC_ISA_GENERIC; isa <= (int)rc_isa_active(); isa++)
        if (strcmp(name, configs[isa].name) == 0) {
            forced = &configs[isa];
            return 0;
        }
    return -1;
}

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* 1 Mi floats (4 MiB): 2048 x 512 or 64 x 16384. */
#define RC_KEEP_PACKED_A_MAX (1 << 20)

/* Room for two A blocks and two B blocks (those in use and the next, prefetched): 320 KiB of
 * this machine's 512 KiB L2, the rest left to C's lines and the lines in flight (the AVX-512
 * config's blocks fit only when A or B is narrow). Against 896 KiB, ResNet-50's GEMMs summed
 * run the same, and the 64-row ones against a batch-wide B (the stem's and the 56x56 3x3's
 * forward, whose B blocks narrow to fit) 1.06-1.13x faster. */
#define RC_L2_BLOCK_FLOATS (80 * 1024)

/* 1 Mi floats (4 MiB) of private C per thread on the split-K route. */
#define RC_SPLIT_K_MAX_OUTPUTS (1 << 20)

#ifndef RC_NT_DOT_MAX_OUTPUTS
#define RC_NT_DOT_MAX_OUTPUTS 12288
#endif

/* Packs rows [0, mc) x cols [0, kc) of op(A) (already offset to the block) into MR-tall
 * micro-panels, scaled by alpha, zero-padding the last panel. ap is ceil(mc/MR)*MR x kc.
 * always_inline + a switch on the tile size below give each ISA a copy with constant MR. */
static inline __attribute__((always_inline)) void pack_a_tile(int trans_a, int64_t mc, int64_t kc,
                                                              float alpha, const float *a,
                                                              int64_t lda, const int mr, float *ap) {
    for (int64_t i0 = 0; i0 < mc; i0 += mr) {
        int64_t rows = min64(mr, mc - i0);
        float *dst = ap + i0 * kc;
        if (rows == mr && !trans_a) {
            /* A[i][p] at a[i*lda + p]: MR row streams, interleaved column by column. */
            const float *src = a + i0 * lda;
            for (int64_t p = 0; p < kc; p++)
                for (int i = 0; i < mr; i++) dst[p * mr + i] = alpha * src[i * lda + p];
        } else if (rows == mr) {
            /* A[i][p] at a[p*lda + i]: each column of the panel is contiguous. */
            for (int64_t p = 0; p < kc; p++)
                for (int i = 0; i < mr; i++) dst[p * mr + i] = alpha * a[p * lda + i0 + i];
        } else {
            for (int64_t p = 0; p < kc; p++) {
                int64_t i = 0;
                for (; i < rows; i++)
                    dst[p * mr + i] = alpha * (trans_a ? a[p * lda + i0 + i] : a[(i0 + i) * lda + p]);
                for (; i < mr; i++) dst[p * mr + i] = 0.0f;
            }
        }
    }
}

static void pack_a(const rc_sgemm_config *cfg, int trans_a, int64_t mc, int64_t kc, float alpha,
                   const float *a, int64_t lda, float *ap) {
    if (!trans_a && cfg->pack_a) {
        for (int64_t i0 = 0; i0 < mc; i0 += cfg->mr)
            cfg->pack_a(kc, (int)min64(cfg->mr, mc - i0), alpha, a + i0 * lda, lda, ap + i0 * kc);
        return;
    }
    switch (cfg->mr) {
    case 4: pack_a_tile(trans_a, mc, kc, alpha, a, lda, 4, ap); break;
    case 6: pack_a_tile(trans_a, mc, kc, alpha, a, lda, 6, ap); break;
    case 14: pack_a_tile(trans_a, mc, kc, alpha, a, lda, 14, ap); break;
    default: pack_a_tile(trans_a, mc, kc, alpha, a, lda, cfg->mr, ap); break;
    }
}

/* Packs rows [0, kc) x cols [0, nc) of op(B) into NR-wide micro-panels, zero-padding the last.
 * bp is kc x ceil(nc/NR)*NR. */
static inline __attribute__((always_inline)) void pack_b_tile(int trans_b, int64_t kc, int64_t nc,
                                                              const float *b, int64_t ldb,
                                                              const int nr, float *bp) {
    for (int64_t j0 = 0; j0 < nc; j0 += nr) {
        int64_t cols = min64(nr, nc - j0);
        float *dst = bp + j0 * kc;
        if (!trans_b && cols == nr) {
            continue; /* full panels of a row-major B: copied row by row below */
        } else if (!trans_b) {
            for (int64_t p = 0; p < kc; p++) {
                const float *src = b + p * ldb + j0;
                int64_t j = 0;
                for (; j < cols; j++) dst[p * nr + j] = src[j];
                for (; j < nr; j++) dst[p * nr + j] = 0.0f;
            }
        } else {
            /* B[p][j] at b[j*ldb + p]: read each source row contiguously, write with stride NR;
             * the destination panel (kc x NR) stays in L1. */
            for (int64_t j = 0; j < cols; j++) {
                const float *src = b + (j0 + j) * ldb;
                for (int64_t p = 0; p < kc; p++) dst[p * nr + j] = src[p];
            }
            for (int64_t j = cols; j < nr; j++)
                for (int64_t p = 0; p < kc; p++) dst[p * nr + j] = 0.0f;
        }
    }
    if (!trans_b) pack_b_full_panels(kc, nc / nr, b, ldb, nr, bp);
}

static void pack_b(int trans_b, int64_t kc, int64_t nc, const float *b, int64_t ldb, int nr,
                   float *bp) {
    switch (nr) {
    case 8: pack_b_tile(trans_b, kc, nc, b, ldb, 8, bp); break;
    case 16: pack_b_tile(trans_b, kc, nc, b, ldb, 16, bp); break;
    case 32: pack_b_tile(trans_b, kc, nc, b, ldb, 32, bp); break;
    default: pack_b_tile(trans_b, kc, nc, b, ldb, nr, bp); break;
    }
}

static void add_bias_tile(float *c, int64_t ldc, int64_t rows, int64_t cols, const float *bias,
                          rc_gemm_bias kind) {
    if (kind == RC_GEMM_BIAS_ROW) {
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) c[i * ldc + j] += bias[i];
    } else if (kind == RC_GEMM_BIAS_COL) {
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) c[i * ldc + j] += bias[j];
    }
}

/* C = beta*C (+ bias) for K == 0 or alpha == 0. */
static void scale_c(int64_t m, int64_t n, float beta, float *c, int64_t ldc, const float *bias,
                    rc_gemm_bias kind) {
    for (int64_t i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f) memset(row, 0, (size_t)n * sizeof(float));
        else if (beta != 1.0f)
            for (int64_t j = 0; j < n; j++) row[j] *= beta;
    }
    add_bias_tile(c, ldc, m, n, bias, kind);
}

/* Whether the next B block (and A's, when A is packed per block) can be prefetched into L2
 * beside the blocks in use without evicting them. */
static int blocks_fit_l2(int64_t mc_max, int64_t kc_max, int64_t nc_max) {
    return 2 * mc_max * kc_max + 2 * kc_max * nc_max <= RC_L2_BLOCK_FLOATS;
}

/* Width of the B blocks: the config's, but when all of A is one block packed once (so
 * narrower B blocks cost no extra packing of A) narrowed until the blocks fit in L2 for
 * prefetching (ResNet-50's stem and 56x56 3x3 GEMMs: about 10% faster). */
static int64_t b_block_width(const rc_sgemm_config *cfg, int64_t m, int64_t k, int64_t mc_max,
                             int64_t kc_max) {
    const int64_t m_pad = (m + cfg->mr - 1) / cfg->mr * cfg->mr;
    int64_t fits = (RC_L2_BLOCK_FLOATS - 2 * mc_max * kc_max) / (2 * kc_max) / cfg->nr * cfg->nr;
    if (m > cfg->mc || m_pad * k > RC_KEEP_PACKED_A_MAX || fits >= cfg->nc || fits < cfg->nr)
        return cfg->nc;
    return fits;
}

/* Rows of the A blocks that stream from memory past a narrow B block (which stays in cache):
 * few enough (4 micro-panels) that the next block, prefetched while this one is used, survives
 * in cache even when A's rows are a power of two apart and share a few cache sets (a weight
 * gradient over a batch's pixels). Against 144-row blocks: the stem's weight gradient
 * 1.07-1.09x, a 256 x 64 one 1.03x. */
static int64_t stream_a_block_rows(const rc_sgemm_config *cfg) {
    return 4 * cfg->mr < cfg->mc ? 4 * cfg->mr : cfg->mc;
}

/* K split into even blocks (576 -> 3 x 192, not 256 + 256 + 64): a short last block would pay
 * a full C-tile load/store for little work. */
static int64_t k_block_size(const rc_sgemm_config *cfg, int64_t k) {
    const int64_t k_blocks = (k + cfg->kc - 1) / cfg->kc;
    return (k + k_blocks - 1) / k_blocks;
}

/* All of op(A) packed, block by block: block (ic, pc) lives at ap + pc * m_pad + ic * kc,
 * where m_pad is m rounded up to whole MR panels. */
static void pack_a_blocks(const rc_sgemm_config *cfg, int trans_a, int64_t m, int64_t k,
                          float alpha, const float *a, int64_t lda, float *ap) {
    const int64_t m_pad = (m + cfg->mr - 1) / cfg->mr * cfg->mr, kc_max = k_block_size(cfg, k);
    for (int64_t pc = 0; pc < k; pc += kc_max) {
        int64_t kc = min64(kc_max, k - pc);
        for (int64_t ic = 0; ic < m; ic += cfg->mc)
            pack_a(cfg, trans_a, min64(cfg->mc, m - ic), kc, alpha,
                   trans_a ? a + pc * lda + ic : a + ic * lda + pc, lda, ap + pc * m_pad + ic * kc);
    }
}

/* One thread's GEMM on its block of C; bias already offset to the block. packed_a, if not
 * NULL, is all of op(A) laid out by pack_a_blocks. source, if not NULL, packs B's blocks
 * instead of b (unused then). */
static rc_status sgemm_blocks(const rc_sgemm_config *cfg, int trans_a, int trans_b, int64_t m,
                              int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                              const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                              const float *bias, rc_gemm_bias bias_kind, const float *packed_a,
                              const rc_sgemm_b_source *source) {
    if (m <= 0 || n <= 0) return RC_OK;
    if (k <= 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc, bias, bias_kind);
        return RC_OK;
    }
    const int mr = cfg->mr, nr = cfg->nr;
    const int64_t kc_max = k_block_size(cfg, k), m_pad = (m + mr - 1) / mr * mr;
    const int64_t nc_block = b_block_width(cfg, m, k, min64(cfg->mc, m_pad), kc_max);
    const int64_t nc_max = min64(nc_block, (n + nr - 1) / nr * nr);
    int64_t mc_block = cfg->mc;
    float *ap = NULL;
    if (!packed_a && n > nc_block && m_pad * k <= RC_KEEP_PACKED_A_MAX) {
        /* Several column blocks of C, and all of op(A) fits in a few MiB: pack it once, not
         * once per column block. */
        if (!(ap = rc_workspace(RC_WS_PACK_A, (size_t)(m_pad * k)))) return RC_ERR_NOMEM;
        pack_a_blocks(cfg, trans_a, m, k, alpha, a, lda, ap);
        packed_a = ap;
    } else if (!packed_a) {
        /* A too large to keep packed streams from memory (inside the network the weight
         * gradients run per image or chunk, on an A still in cache: they keep MC rows); in
         * short blocks where that lets the next one be prefetched beside B's. */
        if (m_pad * k > RC_KEEP_PACKED_A_MAX && blocks_fit_l2(stream_a_block_rows(cfg), kc_max, nc_max))
            mc_block = stream_a_block_rows(cfg);
        if (!(ap = rc_workspace(RC_WS_PACK_A, (size_t)(min64(mc_block, m_pad) * kc_max))))
            return RC_ERR_NOMEM;
    }
    const int64_t mc_max = min64(mc_block, m_pad);
    /* A source's panels are one row of NR floats apart: panels a multiple of 4 KiB long (KC 192
     * or 256 for NR 16) would all share the same few L1 sets while it writes a few rows of each
     * in turn (without the gap, ResNet-50's 7x7 3x3 forward ran 0.9-0.97x in 5 of 6 runs). */
    const int64_t panel_gap = source ? nr : 0;
    float *bp = rc_workspace(RC_WS_PACK_B, (size_t)(kc_max * nc_max + panel_gap * (nc_max / nr)));
    if (!bp) return RC_ERR_NOMEM;
    float scratch[32 * 32] __attribute__((aligned(64)));
    const int prefetch_blocks = blocks_fit_l2(mc_max, kc_max, nc_max);

    for (int64_t jc = 0; jc < n; jc += nc_block) {
        int64_t nc = min64(nc_block, n - jc);
        for (int64_t pc = 0; pc < k; pc += kc_max) {
            int64_t kc = min64(kc_max, k - pc);
            float beta_pc = pc == 0 ? beta : 1.0f;
            int last_pc = pc + kc >= k;
            const float *bsrc = source ? NULL : trans_b ? b + jc * ldb + pc : b + pc * ldb + jc;
            const int64_t panel_floats = kc * nr + panel_gap;
            if (source) {
                source->pack(source->ctx, pc, kc, jc, nc, nr, panel_floats, bp);
            } else if (trans_b ? cfg->pack_bt != NULL : cfg->pack_b != NULL) {
                /* Whole panels by the ISA's packer, a partial last one by the portable one
                 * (op(B)'s columns are col_stride floats apart). */
                const int64_t full = nc / nr, col_stride = trans_b ? ldb : 1;
                (trans_b ? cfg->pack_bt : cfg->pack_b)(kc, full, bsrc, ldb, bp);
                if (nc > full * nr)
                    pack_b(trans_b, kc, nc - full * nr, bsrc + full * nr * col_stride, ldb, nr,
                           bp + full * nr * kc);
            } else {
                pack_b(trans_b, kc, nc, bsrc, ldb, nr, bp);
            }
            /* The B block packed after this one: the next K block of these columns, else the
             * first of the next columns. */
            int64_t pc_next = last_pc ? 0 : pc + kc, jc_next = last_pc ? jc + nc : jc;
            int64_t kc_next = min64(kc_max, k - pc_next), nc_next = min64(nc_block, n - jc_next);
            rc_block_prefetch next_b = {0};
            if (jc_next < n && prefetch_blocks && !source)
                next_b = trans_b ? rc_block_prefetch_rows(b + jc_next * ldb + pc_next, nc_next, kc_next, ldb)
                                 : rc_block_prefetch_rows(b + pc_next * ldb + jc_next, kc_next, nc_next, ldb);
            const int64_t panels_n = (nc + nr - 1) / nr, calls = panels_n * ((m + mr - 1) / mr);
            int64_t call = 0;
            for (int64_t ic = 0; ic < m; ic += mc_block) {
                int64_t mc = min64(mc_block, m - ic);
                const float *ablock = ap;
                rc_block_prefetch next_a = {0};
                if (packed_a) {
                    ablock = packed_a + pc * m_pad + ic * kc;
                } else {
                    pack_a(cfg, trans_a, mc, kc, alpha, trans_a ? a + pc * lda + ic : a + ic * lda + pc,
                           lda, ap);
                    /* The A block packed after this one: the next rows, else the next K block's
                     * first rows (or none after the last block). */
                    int64_t ic_next = ic + mc < m ? ic + mc : 0;
                    int64_t pc_a = ic + mc < m ? pc : pc_next, kc_a = ic + mc < m ? kc : kc_next;
                    int64_t mc_next = min64(mc_block, m - ic_next);
                    if (prefetch_blocks && (ic + mc < m || !last_pc || jc + nc < n))
                        next_a = trans_a ? rc_block_prefetch_rows(a + pc_a * lda + ic_next, kc_a, mc_next, lda)
                                         : rc_block_prefetch_rows(a + ic_next * lda + pc_a, mc_next, kc_a, lda);
                }
                const int64_t calls_a = panels_n * ((mc + mr - 1) / mr);
                int64_t call_a = 0;
                for (int64_t jr = 0; jr < nc; jr += nr) {
                    int64_t cols = min64(nr, nc - jr);
                    const float *bpanel = bp + jr / nr * panel_floats;
                    for (int64_t ir = 0; ir < mc; ir += mr) {
                        int64_t rows = min64(mr, mc - ir);
                        const float *apanel = ablock + ir * kc;
                        float *ctile = c + (ic + ir) * ldc + jc + jr;
                        /* The next A block first: it is packed before the next B block. */
                        rc_block_prefetch *in_kernel = rc_block_prefetch_pending(&next_a) ? &next_a : &next_b;
                        /* This tile's rows in the next panel of C, written a panel from now:
                         * fetching them early keeps the stores from stalling on memory. Every
                         * line of them: a 32-wide tile's rows are two lines (fetching the first
                         * alone, ResNet-50's 1x1 convolutions with 64 input or output channels
                         * at 56x56 ran 1.13-1.15x slower, all of its 1x1s 1.02-1.03x). Into L2,
                         * not L1: when C's rows are a multiple of 4 KiB apart they all share one
                         * L1 set, and a panel's worth of them evicted each other before the
                         * stores came (the stem's input gradient in bench_gemm 1.2x, the fc
                         * layer's 1000 -> 2048 one 4x; the rest unchanged). */
                        if (jr + nr < nc)
                            for (int64_t i = 0; i < rows; i++)
                                for (int64_t j = 0; j < nr; j += 16) /* 64-byte lines */
                                    __builtin_prefetch(ctile + i * ldc + nr + j, 0, 2);
                        if (rows == mr && cols == nr) {
                            cfg->kernel(kc, apanel, bpanel, beta_pc, ctile, ldc, in_kernel);
                        } else if (cols == nr && cfg->short_kernel) {
                            cfg->short_kernel(kc, apanel, bpanel, beta_pc, ctile, ldc, (int)rows);
                        } else if (2 * cols <= nr && cfg->narrow_kernel) {
                            cfg->narrow_kernel(kc, apanel, bpanel, beta_pc, ctile, ldc, (int)rows, (int)cols);
                        } else {
                            cfg->kernel(kc, apanel, bpanel, 0.0f, scratch, nr, NULL);
                            for (int64_t i = 0; i < rows; i++)
                                for (int64_t j = 0; j < cols; j++) {
                                    float *dst = ctile + i * ldc + j;
                                    float v = scratch[i * nr + j];
                                    *dst = beta_pc == 0.0f ? v : v + beta_pc * *dst;
                                }
                        }
                        rc_block_prefetch_upto(&next_b, ++call, calls);
                        rc_block_prefetch_upto(&next_a, ++call_a, calls_a);
                        if (last_pc && bias_kind != RC_GEMM_NO_BIAS) {
                            const float *bias_tile = bias_kind == RC_GEMM_BIAS_ROW
                                                         ? bias + ic + ir : bias + jc + jr;
                            add_bias_tile(ctile, ldc, rows, cols, bias_tile, bias_kind);
                        }
                    }
                }
            }
        }
    }
    return RC_OK;
}

static rc_status sgemm_serial(const rc_sgemm_config *cfg, int trans_a, int trans_b, int64_t m,
                              int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                              const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
                              const float *bias, rc_gemm_bias bias_kind, const float *packed_a) {
    return sgemm_blocks(cfg, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias,
                        bias_kind, packed_a, NULL);
}

/* Fraction of the microkernel's work that is useful for an m x n C with an mr x nr tile. */
static double tile_use(int64_t m, int64_t n, int mr, int nr) {
    return (double)m / (double)((m + mr - 1) / mr * mr) * (double)n / (double)((n + nr - 1) / nr * nr);
}

/* dst (cols x rows, row stride ld_dst) = src^T, src is (rows x cols) with row stride ld_src. */
static void transpose_copy(float *dst, int64_t ld_dst, const float *src, int64_t ld_src,
                           int64_t rows, int64_t cols) {
    const int64_t blk = 32;
    for (int64_t i0 = 0; i0 < rows; i0 += blk)
        for (int64_t j0 = 0; j0 < cols; j0 += blk)
            for (int64_t j = j0; j < min64(j0 + blk, cols); j++)
                for (int64_t i = i0; i < min64(i0 + blk, rows); i++)
                    dst[j * ld_dst + i] = src[i * ld_src + j];
}

/* The skinny NT route over K range [p_begin, p_end), into c (beta applies to the first chunk).
 * K chunks are outermost so each chunk of A's and B's rows is read from memory once; within a
 * chunk, 48 rows of B (192 KiB) stay in L2 while each 4-row piece of A (16 KiB, in L1) runs
 * over them. Long chunks keep the horizontal sums and C updates rare. */
static void nt_dot_range(rc_nt_dot_block_fn block, int64_t m, int64_t n, int64_t p_begin,
                         int64_t p_end, float alpha, const float *a, int64_t lda, const float *b,
                         int64_t ldb, float beta, float *c, int64_t ldc) {
    const int64_t chunk = 1024, tile_n = 48;
    for (int64_t p0 = p_begin; p0 < p_end; p0 += chunk) {
        int64_t kc = min64(chunk, p_end - p0);
        for (int64_t j0 = 0; j0 < n; j0 += tile_n)
            for (int64_t i0 = 0; i0 < m; i0 += 4)
                block(i0, min64(i0 + 4, m), j0, min64(j0 + tile_n, n), p0, kc, alpha, a, lda, b,
                      ldb, beta, p0 == p_begin, c, ldc);
    }
}

/* One thread's share of a product split along K: the dot route (cfg NULL) or the packed
 * driver, over a K range, into a private C. */
typedef struct {
    const rc_sgemm_config *cfg;
    rc_nt_dot_block_fn block;
    int trans_a, trans_b;
    int64_t m, n, lda, ldb;
    const float *a, *b;
} k_split;

/* partial (m x n, row stride n) = op(A)[:, p_begin:p_end] @ op(B)[p_begin:p_end, :] */
static rc_status k_split_range(const k_split *s, int64_t p_begin, int64_t p_end, float *partial) {
    if (!s->cfg) {
        nt_dot_range(s->block, s->m, s->n, p_begin, p_end, 1.0f, s->a, s->lda, s->b, s->ldb, 0.0f,
                     partial, s->n);
        return RC_OK;
    }
    const float *a = s->trans_a ? s->a + p_begin * s->lda : s->a + p_begin;
    const float *b = s->trans_b ? s->b + p_begin : s->b + p_begin * s->ldb;
    return sgemm_serial(s->cfg, s->trans_a, s->trans_b, s->m, s->n, p_end - p_begin, 1.0f, a,
                        s->lda, b, s->ldb, 0.0f, partial, s->n, NULL, RC_GEMM_NO_BIAS, NULL);
}

/* Threads split K (C small, K long): each sums its range into a private C, then the
 * private Cs are added up, each thread reducing a slice of C. Each operand is read from
 * memory once, where splitting C would have every thread read all of the operand it shares. */
static rc_status sgemm_split_k(const k_split *s, int threads, int64_t k, float alpha, float beta,
                               float *c, int64_t ldc, const float *bias, rc_gemm_bias bias_kind) {
    const int64_t m = s->m, n = s->n;
    float **partial = calloc((size_t)threads, sizeof(float *));
    if (!partial) return RC_ERR_NOMEM;
    rc_status status = RC_OK;
#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        float *mine = rc_workspace(RC_WS_DOT, (size_t)(m * n));
        partial[t] = mine;
        rc_status st = RC_ERR_NOMEM;
        if (mine) {
            int64_t p_begin = k * t / nt / 8 * 8, p_end = t == nt - 1 ? k : k * (t + 1) / nt / 8 * 8;
            st = RC_OK;
            if (p_end > p_begin)
                st = k_split_range(s, p_begin, p_end, mine);
            else
                memset(mine, 0, (size_t)(m * n) * sizeof(float));
        }
        if (st != RC_OK) {
#pragma omp atomic write
            status = st;
        }
#pragma omp barrier
        if (status == RC_OK) {
            int64_t lo = m * n * t / nt, hi = m * n * (t + 1) / nt;
            for (int64_t idx = lo; idx < hi; idx++) {
                float sum = 0.0f;
                for (int u = 0; u < nt; u++) sum += partial[u][idx];
                float *dst = c + idx / n * ldc + idx % n;
                *dst = beta == 0.0f ? alpha * sum : alpha * sum + beta * *dst;
            }
        }
    }
    free(partial);
    if (status == RC_OK) add_bias_tile(c, ldc, m, n, bias, bias_kind);
    return status;
}

static rc_status sgemm_nt_dot(int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                              int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                              int64_t ldc, const float *bias, rc_gemm_bias bias_kind) {
    const k_split job = {NULL, rc_isa_active() >= RC_ISA_AVX2 ? rc_nt_dot_block_avx2
                                                              : rc_nt_dot_block_generic,
                         0, 1, m, n, lda, ldb, a, b};
    int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (2.0 * m * n * k < 2e6 || k < 256 * threads) threads = 1;
    if (threads <= 1) {
        nt_dot_range(job.block, m, n, 0, k, alpha, a, lda, b, ldb, beta, c, ldc);
        add_bias_tile(c, ldc, m, n, bias, bias_kind);
        return RC_OK;
    }
    return sgemm_split_k(&job, threads, k, alpha, beta, c, ldc, bias, bias_kind);
}

/* Few outputs, a long reduction, both operands' rows along K, and one side of C under 32:
 * dot products beat packing both operands to use each element a few times. With both sides at
 * least 32 the packed driver is faster, on two threads splitting K (the stem's 64 x 147 weight
 * gradient: 1.10x) and on one (64 x 64, 64 x 147 and 48 x 96 over K of 196 to 100352, as in the
 * weight gradients that run per image: 1.0-2.2x; Winograd's 64 x 64 ones at 56x56 1.11x). */
static int takes_dot_route(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha) {
    return !trans_a && trans_b && k >= 64 && alpha != 0.0f && m * n <= RC_NT_DOT_MAX_OUTPUTS &&
           (m < 32 || n < 32) && !forced;
}

/* A narrow C (e.g. N = 49 for a 7x7 feature map against NR = 16) wastes most of its last
 * column of tiles. Then C^T = op(B)^T op(A)^T is computed into scratch, whose wide side is now
 * N-tiled, and transposed into C: an extra M*N copy against an M*N*K product. */
static int takes_transposed_route(const rc_sgemm_config *cfg, int trans_a, int trans_b, int64_t m,
                                  int64_t n, int64_t k) {
    const double use = tile_use(m, n, cfg->mr, cfg->nr), use_t = tile_use(n, m, cfg->mr, cfg->nr);
    /* A weight gradient over a batch's pixels with a short M (64 x 256 or 64 x 576 against
     * K = 100352): transposed, the long side streams through as A past a B of 64 rows that
     * stays in cache (1.05-1.16x). Only where that uses the tiles at least as well, so that the
     * rule below never transposes it back. */
    if (!trans_a && trans_b && k >= 4096 && 2 * m <= n && m <= 4 * cfg->nr && use_t >= use) return 1;
    /* Over a long K the copies are noise, so a smaller gain pays (the stem's 64 x 147 weight
     * gradient, 89% of tiles used against 98% transposed: 1.04-1.07x). */
    const double gain = k >= 4096 ? 1.05 : 1.15;
    return k >= 32 && use_t > gain * use;
}

/* A reduction much longer than C is wide or tall (a weight gradient over a batch's pixels),
 * and C too narrow to give each thread 256 columns: splitting K keeps both operands read once
 * (the stem's 64 x 147 weight gradient: about 1.1x), and the partial Cs (at most 4 MiB each)
 * are cheap to add up. Wider Cs split along N (a 128 x 1152 one split along K: 0.85-0.91x,
 * each thread's B blocks twice as wide). alpha == 0 stays with the driver, which then reads
 * neither operand. */
static int takes_split_k_route(int64_t m, int64_t n, int64_t k, float alpha, int threads) {
    return alpha != 0.0f && k >= 4 * (m > n ? m : n) && n < 256 * threads &&
           m * n <= RC_SPLIT_K_MAX_OUTPUTS;
}

/* Splits C's columns into about CHUNKS_PER_THREAD chunks per thread, which threads take in
 * turn as they finish one: a thread slowed down by another process on its core is made up for
 * by the others, where fixed halves would leave one core idle at the end (on this shared
 * machine, up to 1.08x on ResNet-50's 3x3 shapes, neutral on a quiet one). */
enum { CHUNKS_PER_THREAD = 8 };

/* The threaded GEMM split along N, op(A) packed once (it fits: RC_KEEP_PACKED_A_MAX) for all
 * threads; chunks are whole B blocks when there are enough, else whole micro-panels. A
 * column's result does not depend on which thread computes it. */
static rc_status sgemm_column_chunks(const rc_sgemm_config *cfg, int threads, int trans_a,
                                     int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                                     const float *a, int64_t lda, const float *b, int64_t ldb,
                                     float beta, float *c, int64_t ldc, const float *bias,
                                     rc_gemm_bias bias_kind) {
    const int64_t m_pad = (m + cfg->mr - 1) / cfg->mr * cfg->mr, kc_max = k_block_size(cfg, k);
    float *packed_a = rc_workspace(RC_WS_PACK_A, (size_t)(m_pad * k));
    if (!packed_a) return RC_ERR_NOMEM;
    pack_a_blocks(cfg, trans_a, m, k, alpha, a, lda, packed_a);

    const int64_t nc_block = b_block_width(cfg, m, k, min64(cfg->mc, m_pad), kc_max);
    const int64_t blocks = (n + nc_block - 1) / nc_block, tiles = (n + cfg->nr - 1) / cfg->nr;
    const int64_t target = (int64_t)threads * CHUNKS_PER_THREAD;
    const int64_t chunk = blocks >= target ? blocks / target * nc_block
                                           : (tiles + target - 1) / target * cfg->nr;
    const int64_t chunks = (n + chunk - 1) / chunk;
    rc_status status = RC_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t q = 0; q < chunks; q++) {
        const int64_t j0 = q * chunk, j1 = min64(j0 + chunk, n);
        const float *bsub = trans_b ? b + j0 * ldb : b + j0;
        const float *bias_sub = bias_kind == RC_GEMM_BIAS_COL ? bias + j0 : bias;
        rc_status s = sgemm_serial(cfg, trans_a, trans_b, m, j1 - j0, k, alpha, a, lda, bsub, ldb,
                                   beta, c + j0, ldc, bias_sub, bias_kind, packed_a);
        if (s != RC_OK) {
#pragma omp critical(rc_sgemm_status)
            status = s;
        }
    }
    return status;
}

size_t rc_sgemm_packed_a_floats(int64_t m, int64_t k) {
    const rc_sgemm_config *cfg = rc_sgemm_active_config();
    return (size_t)((m + cfg->mr - 1) / cfg->mr * cfg->mr * k);
}

void rc_sgemm_pack_a_all(float *panels, int trans_a, int64_t m, int64_t k, float alpha,
                         const float *a, int64_t lda) {
    if (m > 0 && k > 0) pack_a_blocks(rc_sgemm_active_config(), trans_a, m, k, alpha, a, lda, panels);
}

rc_status rc_sgemm_prepacked(const float *panels, int trans_a, int trans_b, int64_t m, int64_t n,
                             int64_t k, float alpha, const float *a, int64_t lda, const float *b,
                             int64_t ldb, float beta, float *c, int64_t ldc, const float *bias,
                             rc_gemm_bias bias_kind) {
    if (m < 0 || n < 0 || k < 0) return RC_ERR_ARGUMENT;
    const rc_sgemm_config *cfg = rc_sgemm_active_config();
    /* A narrow C stays on the panels: transposed (takes_transposed_route) it would pack the
     * weights again as B (Winograd's 256 x 49 x 256 products at 14x14: 1.02-1.04x faster). */
    if (!panels || takes_dot_route(trans_a, trans_b, m, n, k, alpha))
        return rc_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias,
                        bias_kind);
    return sgemm_serial(cfg, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias,
                        bias_kind, panels);
}

rc_status rc_sgemm_prepacked_source(const float *panels, int64_t m, int64_t n, int64_t k,
                                    const rc_sgemm_b_source *source, float beta, float *c,
                                    int64_t ldc, const float *bias, rc_gemm_bias bias_kind) {
    if (m < 0 || n < 0 || k < 0 || !panels || !source || !source->pack) return RC_ERR_ARGUMENT;
    return sgemm_blocks(rc_sgemm_active_config(), 0, 0, m, n, k, 1.0f, NULL, 0, NULL, 0, beta, c,
                        ldc, bias, bias_kind, panels, source);
}

rc_status rc_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                   int64_t ldc, const float *bias, rc_gemm_bias bias_kind) {
    if (m < 0 || n < 0 || k < 0) return RC_ERR_ARGUMENT;
    if (m == 0 || n == 0) return RC_OK;
    const rc_sgemm_config *cfg = rc_sgemm_active_config();

    if (takes_dot_route(trans_a, trans_b, m, n, k, alpha))
        return sgemm_nt_dot(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, bias_kind);

    if (takes_transposed_route(cfg, trans_a, trans_b, m, n, k)) {
        float *ct = rc_workspace(RC_WS_CT, (size_t)(m * n));
        if (!ct) return RC_ERR_NOMEM;
        if (beta != 0.0f) transpose_copy(ct, m, c, ldc, m, n);
        rc_gemm_bias kind_t = bias_kind == RC_GEMM_BIAS_ROW ? RC_GEMM_BIAS_COL
                              : bias_kind == RC_GEMM_BIAS_COL ? RC_GEMM_BIAS_ROW : RC_GEMM_NO_BIAS;
        rc_status st = rc_sgemm(!trans_b, !trans_a, n, m, k, alpha, b, ldb, a, lda, beta, ct, m,
                                bias, kind_t);
        if (st != RC_OK) return st;
        transpose_copy(c, ldc, ct, m, n, m);
        return RC_OK;
    }

    /* Below ~1 MFLOP a second thread costs more than it saves. */
    double flops = 2.0 * (double)m * (double)n * (double)k;
    int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (flops < 1e6) threads = 1;
    if (threads > 1 && takes_split_k_route(m, n, k, alpha, threads)) {
        const k_split job = {cfg, NULL, trans_a, trans_b, m, n, lda, ldb, a, b};
        return sgemm_split_k(&job, threads, k, alpha, beta, c, ldc, bias, bias_kind);
    }
    /* Split C in one direction, in whole micro-tiles: along N when it has more tiles (all of
     * A, the smaller operand per tile, then goes to every thread: packed once and shared when
     * it fits, else packed by each), else along M. */
    int64_t tiles_n = (n + cfg->nr - 1) / cfg->nr, tiles_m = (m + cfg->mr - 1) / cfg->mr;
    int split_n = tiles_n * cfg->nr >= tiles_m * cfg->mr;
    int64_t tiles = split_n ? tiles_n : tiles_m;
    if (threads > tiles) threads = (int)tiles;
    if (threads <= 1)
        return sgemm_serial(cfg, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                            bias, bias_kind, NULL);
    if (split_n && alpha != 0.0f && tiles_m * cfg->mr * k <= RC_KEEP_PACKED_A_MAX)
        return sgemm_column_chunks(cfg, threads, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                                   beta, c, ldc, bias, bias_kind);

    rc_status status = RC_OK;
#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        int64_t first = tiles * t / nt, last = tiles * (t + 1) / nt;
        rc_status s = RC_OK;
        if (split_n) {
            int64_t j0 = first * cfg->nr, j1 = min64(last * cfg->nr, n);
            const float *bsub = trans_b ? b + j0 * ldb : b + j0;
            const float *bias_sub = bias_kind == RC_GEMM_BIAS_COL ? bias + j0 : bias;
            s = sgemm_serial(cfg, trans_a, trans_b, m, j1 - j0, k, alpha, a, lda, bsub, ldb, beta,
                             c + j0, ldc, bias_sub, bias_kind, NULL);
        } else {
            int64_t i0 = first * cfg->mr, i1 = min64(last * cfg->mr, m);
            const float *asub = trans_a ? a + i0 : a + i0 * lda;
            const float *bias_sub = bias_kind == RC_GEMM_BIAS_ROW ? bias + i0 : bias;
            s = sgemm_serial(cfg, trans_a, trans_b, i1 - i0, n, k, alpha, asub, lda, b, ldb, beta,
                             c + i0 * ldc, ldc, bias_sub, bias_kind, NULL);
        }
        if (s != RC_OK) {
#pragma omp critical(rc_sgemm_status)
            status = s;
        }
    }
    return status;
}

void rc_sgemm_naive(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                    int64_t ldc, const float *bias, rc_gemm_bias bias_kind) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0.0;
            for (int64_t p = 0; p < k; p++) {
                float av = trans_a ? a[p * lda + i] : a[i * lda + p];
                float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
                acc += (double)av * (double)bv;
            }
            float v = alpha * (float)acc;
            float *dst = c + i * ldc + j;
            *dst = beta == 0.0f ? v : v + beta * *dst;
            if (bias_kind == RC_GEMM_BIAS_ROW) *dst += bias[i];
            else if (bias_kind == RC_GEMM_BIAS_COL) *dst += bias[j];
        }
}
