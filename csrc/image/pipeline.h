/* The fused data path: JPEG bytes -> crop -> resize -> crop -> flips -> color ops -> ToTensor ->
 * Normalize, into a float32 CHW buffer, in one call with no Python in between.
 *
 * It computes what torchvision's chain computes on a PIL image (same Pillow arithmetic, see
 * resample.h and color.h), decoding only the rectangle the resize reads. With `dct_scaling`
 * it may instead let libjpeg decode at 1/2, 1/4 or 1/8 scale when the crop is at least twice
 * that many times larger than the resize target (so the decoded crop stays at least 2x the
 * target); then results differ slightly from the exact path
 * (measured in tests/transforms/test_fused.py, documented in resnetc/transforms/fused.py). */
#ifndef RESNETC_IMAGE_PIPELINE_H
#define RESNETC_IMAGE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "image/jpeg.h"

#define RC_PIPELINE_MAX_COLOR 16

typedef struct {
    int64_t max_pixels;   /* see rc_jpeg_options */
    int max_scans;
    int dct_scaling;      /* 1: allow DCT-domain downscaling (approximate) */
    /* crop of the full-resolution image (crop-then-resize: the resize sees only this) */
    int crop_x, crop_y, crop_w, crop_h;
    /* resize of that crop to (resize_w, resize_h) with a Pillow filter */
    int resize_w, resize_h, filter;
    /* crop of the resized image: the output (resize-then-crop) */
    int out_x, out_y, out_w, out_h;
    int hflip, vflip;
    int n_color;
    int color_op[RC_PIPELINE_MAX_COLOR];      /* RC_COLOR_* applied in this order */
    float color_factor[RC_PIPELINE_MAX_COLOR];
    int normalize;
    float mean[3], std[3];
} rc_pipeline;

/* out is (3, p->out_h, p->out_w) float32. `used_denom` (may be NULL) gets the DCT scale used. */
rc_status rc_pipeline_jpeg(float *out, const uint8_t *data, size_t size, const rc_pipeline *p,
                           int *used_denom, char *err);

#endif
