/* 3x3, stride-1, pad-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray,
 * "Fast Algorithms for Convolutional Neural Networks", 2015): each 2x2 block of outputs is
 * Y = A^T [(G g G^T) . (B^T d B)] A for a 4x4 input tile d and the 3x3 filter g, so the
 * products over channels become 16 GEMMs (one per position xi of the 4x4 transformed tile)
 *   M[xi] (K, T) = U[xi] (K, C) @ V[xi] (C, T)    T = the tiles of a chunk of images
 * with 16 multiplies per 4 outputs where direct convolution spends 36: 2.25x fewer flops,
 * plus transforms linear in the data. Results differ from direct convolution only by float
 * rounding (the transforms add and halve; errors stay within a few ulps of each sum).
 * ResNet's 3x3 convolutions of stride 1 (13 of 16 layers) take this path forward; their input
 * gradient, a 3x3 stride-1 pad-1 convolution of dout with the filters flipped and C, K swapped,
 * and their weight gradient (the transposed products, below) take it too. */
#ifndef RESNETC_NN_CONV_WINOGRAD_H
#define RESNETC_NN_CONV_WINOGRAD_H

#include "core/status.h"
#include "nn/conv.h"

/* Whether rc_conv2d_winograd applies to (and pays off on) this convolution: 3x3, stride 1,
 * dilation 1, padding 1, no groups, enough channels that the GEMMs outweigh the transforms, and
 * a map small enough that one image's transformed tiles stay within 64 MiB. */
int rc_conv2d_winograd_applies(const rc_conv2d_shape *s);

/* For tests: turns the path off (0) or back on (1), so the same convolution can be checked
 * through im2col too; returns the previous setting. Not thread-safe. */
int rc_conv2d_winograd_set_enabled(int enabled);

/* A batchnorm + ReLU in front of the convolution, applied to each input value as the input
 * transform reads it, so its output is never stored: channel c of inp enters as
 * relu((x - mean[c]) * scale[c] + shift[c]), with rc_batchnorm_forward's arithmetic and
 * rc_relu_forward's rule (NaN kept), and the zero padding stays zero. */
typedef struct {
    const float *mean, *scale, *shift;
} rc_conv_input_bn_relu;

/* With data_grad == 0, the forward: out (N, K, H, W) = conv(inp (N, C, H, W), weight) + bias
 * (bias (K,) or NULL).
 * With data_grad == 1, the input gradient: out is dinp (N, C, H, W), inp is dout (N, K, H, W),
 * bias must be NULL.
 * accumulate: out += the result, else out is overwritten (never read). */
rc_status rc_conv2d_winograd(float *out, const float *inp, const float *weight, const float *bias,
                             const rc_conv2d_shape *s, int data_grad, int accumulate);

/* The forward (overwriting out, no bias) of relu(bn(inp)) instead of inp. */
rc_status rc_conv2d_winograd_bn_relu_input(float *out, const float *inp, const float *weight,
                                           const rc_conv_input_bn_relu *pre, const rc_conv2d_shape *s);

/* dweight (K, C, 3, 3) += the gradient of the forward's weight, for dout (N, K, H, W) and inp
 * (N, C, H, W): dU[xi] = sum over tiles of dM[xi] V[xi]^T, with dM the adjoint of the output
 * transform applied to dout, then dweight += G^T dU G. (The bias gradient is the caller's.) */
rc_status rc_conv2d_winograd_backward_weight(float *dweight, const float *dout, const float *inp,
                                             const rc_conv2d_shape *s);

/* The same for a forward of relu(bn(inp)). */
rc_status rc_conv2d_winograd_backward_weight_bn_relu_input(float *dweight, const float *dout,
                                                           const float *inp,
                                                           const rc_conv_input_bn_relu *pre,
                                                           const rc_conv2d_shape *s);

#endif
