/* Color and layout ops on 8-bit interleaved RGB, with Pillow's arithmetic (so that torchvision's
 * PIL-path ColorJitter is reproduced exactly), plus the uint8 HWC -> float CHW conversion that
 * ToTensor and Normalize do. */
#ifndef RESNETC_IMAGE_COLOR_H
#define RESNETC_IMAGE_COLOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum { RC_COLOR_BRIGHTNESS = 0, RC_COLOR_CONTRAST = 1, RC_COLOR_SATURATION = 2, RC_COLOR_HUE = 3 };

/* Pillow's "L" conversion of one pixel (ITU-R 601-2 luma, 16-bit fixed point). */
static inline uint8_t rc_luma_u8(const uint8_t *rgb) {
    return (uint8_t)((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
}

/* torchvision's hue step: np.int32(hue_factor * 255).astype(np.uint8), added with wraparound. */
static inline uint8_t rc_hue_shift(float factor) { return (uint8_t)(int32_t)((double)factor * 255.0); }

/* img is (n, 3) RGB uint8, modified in place. factor as torchvision's adjust_* take it:
 * brightness/contrast/saturation are Image.blend(degenerate, img, factor); hue shifts Pillow's
 * 8-bit HSV hue by int(factor * 255) modulo 256. */
void rc_adjust_u8(uint8_t *img, size_t n, int op, float factor);

/* gray is (n,), rgb is (n, 3): Pillow's convert("L"). */
void rc_rgb_to_gray_u8(uint8_t *gray, const uint8_t *rgb, size_t n);

/* img is (h, w, c) uint8 flipped in place: left-right and/or top-bottom. */
void rc_flip_u8(uint8_t *img, int h, int w, int c, int horizontal, int vertical);

/* out is (c, h, w) float32, in is (h, w, c) uint8: out = (in / 255 - mean[c]) / std[c],
 * in float32 as ToTensor followed by Normalize computes it. mean/std NULL: ToTensor only. */
void rc_to_tensor_u8(float *out, const uint8_t *in, int h, int w, int c, const float *mean,
                     const float *std);

/* The color and tensor steps of the fused pipeline in one go: applies ops[0..n_ops) (RC_COLOR_*,
 * with rc_adjust_u8's arithmetic) to img (h, w, 3), then flips and writes out (3, h, w) as
 * rc_to_tensor_u8 would. Same bytes as rc_flip_u8 + rc_adjust_u8 per op + rc_to_tensor_u8, in
 * one pass over planar rows per contrast op (its mean needs the whole image) plus one.
 * img is left unchanged. mean/std NULL: ToTensor only. */
rc_status rc_color_to_tensor_u8(float *out, const uint8_t *img, int h, int w, int hflip, int vflip,
                                int n_ops, const int *ops, const float *factors, const float *mean,
                                const float *std);

#endif
