/* 2-D pooling over (N*C) planes of H x W float32: max (with argmax for backward), average,
 * adaptive average. Output sizes are computed by the caller (torch's formulas, incl.
 * ceil_mode). Windows are clipped to the input, so any geometry stays inside the buffers.
 * Parallel over planes. */
#ifndef RESNETC_NN_POOL_H
#define RESNETC_NN_POOL_H

#include <stdint.h>

typedef struct {
    int64_t H, W;       // input plane
    int64_t OH, OW;     // output plane
    int64_t KH, KW;     // window
    int64_t SH, SW;     // stride
    int64_t PH, PW;     // padding (implicit -inf for max, 0 for average)
    int64_t DH, DW;     // dilation (max pooling only; 1 for average)
} rc_pool2d_geom;

/* Max over each window; ties keep the first (row-major) maximum and NaN wins, as torch.
 * indices are flat positions h*W + w in the input plane (torch's return_indices).
 * Overwrites out and indices. */
void rc_maxpool2d_forward(float *out,          // (P, OH, OW), P = N*C planes
                          int64_t *indices,    // (P, OH, OW)
                          const float *inp,    // (P, H, W)
                          int64_t P, const rc_pool2d_geom *g);

/* Internal to max pooling (pool_avx2.c; call only when rc_isa_active() >= RC_ISA_AVX2):
 * outputs [ow_lo, ow_hi) of one output row of 3x3, undilated windows of stride 1 or 2, over
 * input rows [h0, h0 + rows) (1 to 3: the window's rows clipped to the plane). The windows'
 * columns must lie inside the plane, except that output 0's may start at column -1 (padding 1).
 * Needs ow_hi - ow_lo >= 8 and 2 * W < 2^31 (offsets within a window are int32 lanes). */
void rc_maxpool2d_rows_3x3_avx2(const float *x, int64_t W, int64_t stride, int64_t pad, int64_t h0,
                                int rows, int64_t ow_lo, int64_t ow_hi, float *y, int64_t *idx);

/* Routes each output gradient to its argmax: dinp[indices] += dout. Accumulates into dinp
 * (zero it first for a plain gradient). Indices outside the plane are skipped: torch gives
 * them to windows that lie wholly in the padding (output -inf), whose gradient is lost. */
void rc_maxpool2d_backward(float *dinp,            // (P, H, W)
                           const float *dout,      // (P, OH, OW)
                           const int64_t *indices, // (P, OH, OW)
                           int64_t P, const rc_pool2d_geom *g);

/* Same routing, but overwrites dinp: each plane is zeroed just before its gradients land,
 * while it is in cache, which saves the caller a separate zero-fill pass. */
void rc_maxpool2d_backward_overwrite(float *dinp,            // (P, H, W)
                                     const float *dout,      // (P, OH, OW)
                                     const int64_t *indices, // (P, OH, OW)
                                     int64_t P, const rc_pool2d_geom *g);

/* Average over each window (torch's avg_pool2d): the divisor is divisor_override when > 0,
 * else the window size clipped to the padded input (count_include_pad) or to the input.
 * Overwrites out. */
void rc_avgpool2d_forward(float *out,       // (P, OH, OW)
                          const float *inp, // (P, H, W)
                          int64_t P, const rc_pool2d_geom *g,
                          int count_include_pad, int64_t divisor_override);

/* Spreads dout / divisor over each window. Overwrites dinp. */
void rc_avgpool2d_backward(float *dinp,       // (P, H, W)
                           const float *dout, // (P, OH, OW)
                           int64_t P, const rc_pool2d_geom *g,
                           int count_include_pad, int64_t divisor_override);

/* Adaptive average pooling: output cell (i, j) averages rows [floor(i*H/OH), ceil((i+1)*H/OH))
 * and the matching columns. OH = OW = 1 is global average pooling. Overwrites out. */
void rc_adaptive_avgpool2d_forward(float *out,       // (P, OH, OW)
                                   const float *inp, // (P, H, W)
                                   int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW);

/* Overwrites dinp. */
void rc_adaptive_avgpool2d_backward(float *dinp,       // (P, H, W)
                                    const float *dout, // (P, OH, OW)
                                    int64_t P, int64_t H, int64_t W, int64_t OH, int64_t OW);

#endif
