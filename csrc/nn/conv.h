/* 2-D convolution, NCHW float32, through im2col/col2im and the GEMM engine (gemm/gemm.h).
 *
 * Per image and group g, with the weight as a (Kg, Cg*KH*KW) matrix and the image unfolded to
 * col (Cg*KH*KW, OH*OW):
 *   forward          out_g   = W_g   @ col_g                 (+ bias, fused in the GEMM)
 *   backward-data    dcol_g  = W_g^T @ dout_g ; dinp += col2im(dcol)   (or dinp = ..., _overwrite)
 *   backward-weight  dW_g   += dout_g @ col_g^T ; dbias += sum over (n, oh, ow) of dout
 * A 1x1, stride-1, unpadded convolution skips im2col: the image itself is col. A 3x3, stride-1,
 * pad-1 one (most of ResNet's) takes Winograd's F(2x2, 3x3) in forward, backward-data and
 * backward-weight instead (conv_winograd.h): 16 GEMMs with 2.25x fewer flops. Depthwise
 * convolutions (groups == C) skip the GEMM in forward and backward-data (conv_depthwise.c).
 * Small feature maps are unfolded a chunk of images at a time, side by side, so the GEMM's N
 * stays >= 512 (a 7x7 map alone would give N = 49); with threads taking images, a chunk's
 * forward is an implicit GEMM: its columns go straight into the GEMM's packed panels
 * (im2col_pack.h), never into a column buffer.
 * Threads take ranges of images (one column buffer each, serial GEMMs) when the batch splits
 * evenly over them (forward and backward-data hand the ranges out dynamically, so a thread
 * slowed by another process is covered; the weight gradient keeps a fixed split so its sums
 * are reproducible); otherwise images run in order and each GEMM is parallel.
 * Scratch (column buffers, chunk outputs) is per-thread and reused across calls. */
#ifndef RESNETC_NN_CONV_H
#define RESNETC_NN_CONV_H

#include <stdint.h>

#include "core/status.h"

typedef struct {
    int64_t n, c, h, w;        /* input (N, C, H, W) */
    int64_t k, kh, kw;         /* weight (K, C/groups, KH, KW) */
    int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups;
    int64_t oh, ow;            /* output (N, K, OH, OW), set by rc_conv2d_shape_init */
} rc_conv2d_shape;

/* Checks the sizes (positive, groups divide C and K, output not empty) and sets oh, ow.
 * Returns RC_ERR_ARGUMENT when the convolution is not valid. */
rc_status rc_conv2d_shape_init(rc_conv2d_shape *s);

/* out is (N, K, OH, OW), overwritten
 * inp is (N, C, H, W)
 * weight is (K, C/groups, KH, KW)
 * bias is (K,) or NULL */
rc_status rc_conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                            const rc_conv2d_shape *s);

/* dinp is (N, C, H, W), accumulated into (+=)
 * dout is (N, K, OH, OW)
 * weight is (K, C/groups, KH, KW) */
rc_status rc_conv2d_backward_data(float *dinp, const float *dout, const float *weight,
                                  const rc_conv2d_shape *s);

/* Same as rc_conv2d_backward_data, but dinp is overwritten (its contents are never read, NaNs
 * included): the first GEMM or col2im writes instead of adding, so no zero-fill pass. */
rc_status rc_conv2d_backward_data_overwrite(float *dinp, const float *dout, const float *weight,
                                            const rc_conv2d_shape *s);

/* dweight is (K, C/groups, KH, KW), accumulated into (+=)
 * dbias is (K,) accumulated into (+=), or NULL to skip it
 * dout is (N, K, OH, OW)
 * inp is (N, C, H, W) */
rc_status rc_conv2d_backward_weight(float *dweight, float *dbias, const float *dout,
                                    const float *inp, const rc_conv2d_shape *s);

/* Depthwise (s->groups == s->c) direct kernels, used by forward and backward-data above; same
 * contracts (out overwritten, dinp accumulated). */
void rc_conv2d_depthwise_forward(float *out, const float *inp, const float *weight,
                                 const float *bias, const rc_conv2d_shape *s);
void rc_conv2d_depthwise_backward_data(float *dinp, const float *dout, const float *weight,
                                       const rc_conv2d_shape *s);

/* The readable reference: seven nested loops, same contract as rc_conv2d_forward. */
void rc_conv2d_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                             const rc_conv2d_shape *s);

/* col is (C*KH*KW, OH*OW) with row stride ldcol, overwritten; img is (C, H, W), one image. */
void rc_im2col(float *col, int64_t ldcol, const float *img, const rc_conv2d_shape *s);
/* img is (C, H, W), accumulated into (+=); col is (C*KH*KW, OH*OW) with row stride ldcol. */
void rc_col2im(float *img, const float *col, int64_t ldcol, const rc_conv2d_shape *s);

#endif
