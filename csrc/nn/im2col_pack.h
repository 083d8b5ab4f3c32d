/* im2col straight into a GEMM's packed B panels: the B of an implicit GEMM (rc_sgemm_b_source)
 * for the convolution forward. The columns of one group's channels are made block by block as
 * the GEMM needs them, so no column buffer is written and then read back to be packed.
 *
 * Columns are the output pixels of consecutive images, image i's after image i-1's; rows are
 * (channel, ki, kj), as in im2col. (Built with AVX2 as well, it was no faster: 0.94-1.16x on
 * ResNet-50's 7x7 layers, 0.94-1.03x on the strided one into them.) */
#ifndef RESNETC_NN_IM2COL_PACK_H
#define RESNETC_NN_IM2COL_PACK_H

#include <stdint.h>

#include "nn/conv.h"

typedef struct {
    const float *img;          /* the first image, (C, H, W) */
    const rc_conv2d_shape *s;
    int64_t c0;                /* the group's first input channel */
} rc_im2col_source;

/* The rc_sgemm_b_source pack function; ctx is an rc_im2col_source. */
void rc_im2col_pack(const void *ctx, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr,
                    int64_t panel_floats, float *bp);

/* Output columns [lo, hi) whose input column ow*stride + offset lies in [0, w). */
static inline void rc_conv_valid_range(int64_t offset, int64_t stride, int64_t w, int64_t ow,
                                       int64_t *lo, int64_t *hi) {
    int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int64_t last = w - 1 - offset < 0 ? 0 : (w - 1 - offset) / stride + 1;
    *lo = first < ow ? first : ow;
    *hi = last < ow ? last : ow;
    if (*hi < *lo) *hi = *lo;
}

#endif
