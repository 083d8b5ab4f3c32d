/* The ResNet bottleneck block as one op (torchvision's Bottleneck, NCHW float32):
 *
 *   y1 = conv1(x)   a1 = relu(bn1(y1))      conv1: 1x1
 *   y2 = conv2(a1)  a2 = relu(bn2(y2))      conv2: 3x3, the block's stride, groups, dilation
 *   y3 = conv3(a2)                          conv3: 1x1
 *   yd = convd(x)                           the downsample branch, when the block has one
 *   out = relu(bn3(y3) + (bnd(yd) or x))
 *
 * Training keeps only y1, y2, y3, yd, out and the statistics: a1 and a2 are recomputed from
 * y1 and y2 in backward (one cheap elementwise pass each) instead of being stored, and each
 * BN + ReLU (+ residual add) is one memory pass. The arithmetic of every step is that of the
 * separate layers (csrc/nn/batchnorm.h, conv.h), so the block gives their results. */
#ifndef RESNETC_NN_BOTTLENECK_H
#define RESNETC_NN_BOTTLENECK_H

#include <stdint.h>

#include "core/status.h"
#include "nn/conv.h"

/* Index of each convolution and its batchnorm in the arrays below. */
enum { RC_BLOCK_CONV1, RC_BLOCK_CONV2, RC_BLOCK_CONV3, RC_BLOCK_DOWN, RC_BLOCK_LAYERS };

typedef struct {
    rc_conv2d_shape conv[RC_BLOCK_LAYERS]; /* initialised by rc_conv2d_shape_init */
    int has_downsample;                    /* layer RC_BLOCK_DOWN exists */
} rc_bottleneck_shape;

typedef struct {
    const float *weight[RC_BLOCK_LAYERS];  /* conv weights (K, C/groups, KH, KW) */
    const float *gamma[RC_BLOCK_LAYERS];   /* BN weight (K) */
    const float *beta[RC_BLOCK_LAYERS];    /* BN bias (K) */
    float *running_mean[RC_BLOCK_LAYERS];  /* (K) or NULL: updated in place by a batch-stat forward */
    float *running_var[RC_BLOCK_LAYERS];   /* (K) or NULL: running estimate of the unbiased variance */
    float eps[RC_BLOCK_LAYERS];
    float momentum[RC_BLOCK_LAYERS];       /* running = (1 - momentum) * running + momentum * batch */
} rc_bottleneck_params;

typedef struct {
    float *y[RC_BLOCK_LAYERS];             /* conv outputs, (N, K, OH, OW) each; NULL: not kept */
    float *mean[RC_BLOCK_LAYERS];          /* (K) statistics the forward normalised with */
    float *var[RC_BLOCK_LAYERS];           /* (K) biased batch variance, or the running one */
} rc_bottleneck_saved;

/* Checks that the four convolutions chain (channels and spatial sizes) and that the residual
 * matches the output. Returns RC_ERR_ARGUMENT otherwise. */
rc_status rc_bottleneck_check(const rc_bottleneck_shape *s);

/* out (N, 4*planes, OH, OW) overwritten, x (N, C, H, W).
 * batch_stats: normalise with the batch statistics (written to saved->mean/var) and update the
 * running statistics that are not NULL; otherwise normalise with the running statistics
 * (copied to saved->mean/var). saved->y[*] are overwritten; when they are NULL (no backward will
 * follow) the block computes in place in scratch and out. */
rc_status rc_bottleneck_forward(float *out, const float *x, const rc_bottleneck_shape *s,
                                const rc_bottleneck_params *p, const rc_bottleneck_saved *saved,
                                int batch_stats);

/* Gradients of rc_bottleneck_forward given dout, from what it saved:
 * dx (N, C, H, W) overwritten, or NULL when x needs no gradient;
 * dweight[i] accumulated (+=), dgamma[i] and dbeta[i] overwritten; all NULL or all given. */
rc_status rc_bottleneck_backward(float *dx, float *const dweight[RC_BLOCK_LAYERS],
                                 float *const dgamma[RC_BLOCK_LAYERS], float *const dbeta[RC_BLOCK_LAYERS],
                                 const float *dout, const float *out, const float *x,
                                 const rc_bottleneck_shape *s, const rc_bottleneck_params *p,
                                 const rc_bottleneck_saved *saved, int batch_stats);

#endif
