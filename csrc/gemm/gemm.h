/* Single-precision GEMM, BLIS style: C = alpha * op(A) * op(B) + beta * C (+ bias epilogue).
 *
 * Row-major with leading dimensions. op(A) is M x K, op(B) is K x N, C is M x N.
 * The driver packs op(B) into KC x NC blocks of NR-wide micro-panels and op(A) into MC x KC
 * blocks of MR-tall micro-panels (alpha folded into the A pack), then one microkernel per ISA
 * computes an MR x NR tile of C from one A micro-panel and one B micro-panel.
 * Work is split across OpenMP threads unless called inside a parallel region (then it runs
 * serially on the calling thread, so callers can parallelise over images instead): along N,
 * where op(A), when it fits in 4 MiB, is packed once for all threads and the columns are taken
 * in chunks as threads finish them (else each thread packs A for its fixed share), or along M
 * when C is taller than wide.
 * Three shapes take another route inside rc_sgemm, checked in this order:
 *  - A @ B^T with few outputs (M*N <= 12288, one side under 32) and K >= 64:
 *    dot products of contiguous rows (sgemm_nt_dot.h), e.g. a grouped convolution's weight
 *    gradient;
 *  - a C much narrower than the tile (N = 49 against NR = 16), or A @ B^T with K >= 4096, M
 *    at most 4 NR-wide panels, N at least 2 M and C^T using the tiles no worse (a weight
 *    gradient over a batch's pixels): C^T = op(B)^T op(A)^T is computed into scratch and
 *    transposed back;
 *  - K at least 4 times C's longer side, N under 256 per thread and C up to 1 Mi floats, on
 *    several threads (a weight gradient over a batch): threads split K into private Cs, added
 *    up after. */
#ifndef RESNETC_GEMM_GEMM_H
#define RESNETC_GEMM_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef enum {
    RC_GEMM_NO_BIAS = 0,
    RC_GEMM_BIAS_ROW = 1, /* C[i][j] += bias[i], bias has M entries (conv: one per out channel) */
    RC_GEMM_BIAS_COL = 2, /* C[i][j] += bias[j], bias has N entries (linear: one per feature) */
} rc_gemm_bias;

/* C = alpha * op(A) * op(B) + beta * C, then C += bias (per `bias_kind`).
 * beta == 0 overwrites C without reading it (NaNs in C do not propagate).
 * a is (M, K) with row stride lda when !trans_a, else (K, M) with row stride lda.
 * b is (K, N) with row stride ldb when !trans_b, else (N, K) with row stride ldb.
 * c is (M, N) with row stride ldc.
 * bias is (M,) or (N,) or NULL. */
rc_status rc_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                   int64_t ldc, const float *bias, rc_gemm_bias bias_kind);

/* op(A) packed once for many products (a convolution's weights, reused over its images):
 * rc_sgemm_pack_a_all fills `panels` (rc_sgemm_packed_a_floats(m, k) floats, 64-byte aligned)
 * from op(A), scaled by alpha; rc_sgemm_prepacked then computes rc_sgemm's result with those
 * panels instead of packing A, serially on the calling thread (its callers run in parallel
 * over images). It takes the same arguments as rc_sgemm plus `panels`, packed from the same
 * (trans_a, m, k, alpha, a) under the same active config; shapes that rc_sgemm computes as
 * dot products, or panels == NULL, go through rc_sgemm (threaded, when called outside a
 * parallel region), while a narrow C, which rc_sgemm would transpose, stays on the panels. */
size_t rc_sgemm_packed_a_floats(int64_t m, int64_t k);
void rc_sgemm_pack_a_all(float *panels, int trans_a, int64_t m, int64_t k, float alpha,
                         const float *a, int64_t lda);
rc_status rc_sgemm_prepacked(const float *panels, int trans_a, int trans_b, int64_t m, int64_t n,
                             int64_t k, float alpha, const float *a, int64_t lda, const float *b,
                             int64_t ldb, float beta, float *c, int64_t ldc, const float *bias,
                             rc_gemm_bias bias_kind);

/* op(B) made block by block by the caller, straight into packed panels, instead of read from
 * memory (an implicit GEMM: a convolution's columns, never stored whole). pack writes rows
 * [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) as nr-wide micro-panels, panel q at
 * bp + q * panel_floats (>= kc * nr) holding bp[q * panel_floats + p * nr + j] =
 * op(B)[p0 + p][j0 + q * nr + j], the last panel zero-padded to nr columns. */
typedef struct {
    void (*pack)(const void *ctx, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr,
                 int64_t panel_floats, float *bp);
    const void *ctx;
} rc_sgemm_b_source;

/* C = op(A) @ op(B) + beta * C (+ bias), serially on the calling thread, with op(A) as panels
 * from rc_sgemm_pack_a_all (alpha folded in there) and op(B) from `source`. Returns
 * RC_ERR_ARGUMENT without panels or source. */
rc_status rc_sgemm_prepacked_source(const float *panels, int64_t m, int64_t n, int64_t k,
                                    const rc_sgemm_b_source *source, float beta, float *c,
                                    int64_t ldc, const float *bias, rc_gemm_bias bias_kind);

/* The readable reference: triple loop in double accumulation, same contract as rc_sgemm. */
void rc_sgemm_naive(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                    int64_t ldc, const float *bias, rc_gemm_bias bias_kind);

/* ------------------------------------------------------------------ microkernel contract
 * a: packed A micro-panel, k columns of MR values: a[p * MR + i]  (64-byte aligned)
 * b: packed B micro-panel, k rows of NR values:    b[p * NR + j]  (64-byte aligned)
 * c: the MR x NR tile of C, row stride ldc:  c[i*ldc + j] = sum_p a[p*MR+i] * b[p*NR+j]
 *    + beta * c[i*ldc + j]; beta == 0 means c is written without being read.
 * Always a full tile; the driver routes other edge tiles (short_kernel and narrow_kernel below
 * aside) through a scratch tile. k may be 0.
 * pf: NULL, or the cursor over the operand block packed next (block_prefetch.h), which the
 * kernel may advance, prefetching up to a line per k step (or leave to the driver). */
struct rc_block_prefetch;
typedef void (*rc_sgemm_ukernel)(int64_t k, const float *a, const float *b, float beta, float *c,
                                 int64_t ldc, struct rc_block_prefetch *pf);

/* Optional: the same for only the first `rows` (1 to MR - 1) rows of the tile, all NR columns
 * (the A panel keeps its MR stride), so the last row panel of C needs no scratch tile. */
typedef void (*rc_sgemm_ukernel_short)(int64_t k, const float *a, const float *b, float beta,
                                       float *c, int64_t ldc, int rows);

/* Optional: the first `rows` (1 to MR) rows and `cols` (1 to NR / 2) columns of the tile, from
 * the left half of a B panel, stored straight into C. */
typedef void (*rc_sgemm_ukernel_narrow)(int64_t k, const float *a, const float *b, float beta,
                                        float *c, int64_t ldc, int rows, int cols);

/* Optional ISA-specific packer of a transposed B (stored N x K): `panels` full NR-wide panels
 * of op(B) = B^T, rows [0, kc), into bp (panel q at bp + q*NR*kc). */
typedef void (*rc_sgemm_pack_bt)(int64_t kc, int64_t panels, const float *b, int64_t ldb,
                                 float *bp);

/* Optional ISA-specific packer of a row-major A (not transposed): one MR-tall panel of rows
 * [0, rows) (1 to MR) x columns [0, kc), scaled by alpha, into ap, the rows past `rows` zeros. */
typedef void (*rc_sgemm_pack_a)(int64_t kc, int rows, float alpha, const float *a, int64_t lda,
                                float *ap);

/* Optional ISA-specific packer of a row-major B (not transposed): `panels` full NR-wide panels
 * of rows [0, kc), into bp (panel q at bp + q*NR*kc). */
typedef void (*rc_sgemm_pack_b)(int64_t kc, int64_t panels, const float *b, int64_t ldb,
                                float *bp);

typedef struct {
    rc_sgemm_ukernel kernel;
    const char *name;
    int mr, nr;      /* register tile */
    int mc, kc, nc;  /* cache blocks: A block MC x KC in L2, B block KC x NC in L3, B panel in L1 */
    rc_sgemm_pack_bt pack_bt; /* NULL: the portable packer */
    rc_sgemm_pack_a pack_a;   /* NULL: the portable packer */
    rc_sgemm_ukernel_short short_kernel; /* NULL: short tiles go through the scratch tile */
    rc_sgemm_ukernel_narrow narrow_kernel; /* NULL: narrow tiles go through the scratch tile */
    rc_sgemm_pack_b pack_b;   /* NULL: the portable packer */
} rc_sgemm_config;

/* The microkernel and blocking used for the active ISA (rc_isa_active()), unless a test
 * forced one. */
const rc_sgemm_config *rc_sgemm_active_config(void);

/* For tests: use the named config ("generic_4x8", "avx2_6x16", "avx512_14x32",
 * "generic_14x32") whatever the active ISA, or NULL to follow the ISA again. Returns -1 for an
 * unknown name or one whose instructions the active ISA lacks. Not thread-safe. */
int rc_sgemm_force_config(const char *name);

void rc_sgemm_ukernel_generic_4x8(int64_t k, const float *a, const float *b, float beta, float *c,
                                  int64_t ldc, struct rc_block_prefetch *pf);
void rc_sgemm_ukernel_generic_14x32(int64_t k, const float *a, const float *b, float beta,
                                    float *c, int64_t ldc, struct rc_block_prefetch *pf);
void rc_sgemm_ukernel_avx2_6x16(int64_t k, const float *a, const float *b, float beta, float *c,
                                int64_t ldc, struct rc_block_prefetch *pf);
void rc_sgemm_ukernel_avx2_short_6x16(int64_t k, const float *a, const float *b, float beta,
                                      float *c, int64_t ldc, int rows);
void rc_sgemm_ukernel_avx2_narrow_6x8(int64_t k, const float *a, const float *b, float beta,
                                      float *c, int64_t ldc, int rows, int cols);
void rc_sgemm_pack_a6_avx2(int64_t kc, int rows, float alpha, const float *a, int64_t lda,
                           float *ap);
void rc_sgemm_pack_bt16_avx2(int64_t kc, int64_t panels, const float *b, int64_t ldb, float *bp);
void rc_sgemm_ukernel_avx512_14x32(int64_t k, const float *a, const float *b, float beta, float *c,
                                   int64_t ldc, struct rc_block_prefetch *pf);
void rc_sgemm_ukernel_avx512_short_14x32(int64_t k, const float *a, const float *b, float beta,
                                         float *c, int64_t ldc, int rows);
void rc_sgemm_ukernel_avx512_narrow_14x16(int64_t k, const float *a, const float *b, float beta,
                                          float *c, int64_t ldc, int rows, int cols);
void rc_sgemm_pack_bt32_avx512(int64_t kc, int64_t panels, const float *b, int64_t ldb, float *bp);
void rc_sgemm_pack_b32_avx512(int64_t kc, int64_t panels, const float *b, int64_t ldb, float *bp);
void rc_sgemm_pack_a14_avx512(int64_t kc, int rows, float alpha, const float *a, int64_t lda,
                              float *ap);

/* ------------------------------------------------------------------ workspace
 * Per-thread, grow-only, 64-byte aligned scratch buffers, so steady-state calls allocate
 * nothing. Each slot is independent; a thread's buffers live until rc_workspace_release() or
 * the thread's exit. Returns NULL when the allocation fails. */
enum { RC_WS_PACK_A, RC_WS_PACKED_WEIGHT, RC_WS_PACK_B, RC_WS_CT, RC_WS_DOT, RC_WS_COL, RC_WS_OUT, RC_WS_ACCUM,
       RC_WS_WINOGRAD_U, RC_WS_WINOGRAD_PAD, RC_WS_SLOTS };
float *rc_workspace(int slot, size_t nfloats);
void rc_workspace_release(void);
/* Frees the calling thread's buffers and those of the OpenMP team it would start. */
void rc_workspace_release_all(void);

#endif
