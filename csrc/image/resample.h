/* Separable antialiased resampling with Pillow's filters and arithmetic (libImaging/Resample.c
 * is the reference): support grows with the downscaling factor, weights are normalised per
 * output sample, 8-bit images use 22-bit fixed-point weights and round once per pass, and the
 * horizontal pass runs first, on only the rows the vertical pass needs. */
#ifndef RESNETC_IMAGE_RESAMPLE_H
#define RESNETC_IMAGE_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Pillow's filter codes (Image.Resampling). */
enum { RC_FILTER_NEAREST = 0, RC_FILTER_LANCZOS = 1, RC_FILTER_BILINEAR = 2, RC_FILTER_BICUBIC = 3,
       RC_FILTER_BOX = 4, RC_FILTER_HAMMING = 5 };

/* Weights of one axis: output sample i reads inputs bounds[2i] .. bounds[2i] + bounds[2i+1] - 1. */
typedef struct {
    int count;          /* output samples */
    int in_size;        /* input samples on the axis */
    int out_total;      /* samples of the whole resized axis (count of them may be kept) */
    int ksize;          /* weights per output sample (zero-padded) */
    int identity;       /* 1 when the axis maps input i to output i exactly */
    int *bounds;        /* (count, 2) */
    double *weights;    /* (count, ksize) normalised */
    int32_t *fixed;     /* (count, ksize) weights in 22-bit fixed point, Pillow's rounding */
} rc_axis_weights;

/* Weights for resizing the segment [in0, in1) of an axis of in_size samples to out_total
 * samples, keeping outputs out_first .. out_first + out_count - 1 (a crop after the resize).
 * Inputs outside [0, in_size) are never read: the filter is renormalised at the edges. */
rc_status rc_axis_weights_init(rc_axis_weights *w, int in_size, float in0, float in1, int out_total,
                               int out_first, int out_count, int filter);
void rc_axis_weights_free(rc_axis_weights *w);

/* First input row/column used by any output, and one past the last. */
void rc_axis_weights_span(const rc_axis_weights *w, int *first, int *end);

/* Moves the axis origin: input index i becomes i - delta (after decoding only a sub-rectangle). */
void rc_axis_weights_shift(rc_axis_weights *w, int delta);

/* 8-bit interleaved: in is (in_h, in_w, channels) with rows in_stride bytes apart, out is
 * (wy->count, wx->count, channels). Rounds after each pass exactly as Pillow does. */
rc_status rc_resample_u8(uint8_t *out, const uint8_t *in, int in_w, int in_h, size_t in_stride,
                         int channels, const rc_axis_weights *wx, const rc_axis_weights *wy);

/* float planes: in is (planes, in_h, in_w), out is (planes, wy->count, wx->count); no rounding. */
rc_status rc_resample_f32(float *out, const float *in, int planes, int in_w, int in_h,
                          const rc_axis_weights *wx, const rc_axis_weights *wy);

#endif
