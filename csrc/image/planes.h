/* Kernels on planar RGB (three uint8 planes of n pixels): the fused color pass of the data
 * pipeline (color_pass.c, rc_color_to_tensor_u8) runs on these. Each kernel exists twice: the
 * portable build of planes_body.h (planes.c), and an AVX2 build (planes_avx2.c: the same bodies
 * compiled with AVX2, blend/saturation/to_float written with intrinsics). Both give
 * bit-identical results, with Pillow's arithmetic (see color.h). */
#ifndef RESNETC_IMAGE_PLANES_H
#define RESNETC_IMAGE_PLANES_H

#include <stdint.h>

typedef struct {
    /* (n, 3) interleaved <-> three planes */
    void (*deinterleave)(uint8_t *r, uint8_t *g, uint8_t *b, const uint8_t *rgb, int n);
    void (*interleave)(uint8_t *rgb, const uint8_t *r, const uint8_t *g, const uint8_t *b, int n);
    /* p = Image.blend(base, p, factor) on one plane: brightness (base 0), contrast (base = mean) */
    void (*blend)(uint8_t *p, int n, int base, float factor);
    /* ImageEnhance.Color: blend of the pixel's "L" value and the pixel */
    void (*saturation)(uint8_t *r, uint8_t *g, uint8_t *b, int n, float factor);
    /* Pillow's 8-bit HSV round trip with the hue shifted by `shift` (mod 256) */
    void (*hue)(uint8_t *r, uint8_t *g, uint8_t *b, int n, uint8_t shift);
    /* sum of the "L" values (Pillow's rounding) */
    uint64_t (*luma_sum)(const uint8_t *r, const uint8_t *g, const uint8_t *b, int n);
    /* out[i] = (p[i] / 255 - mean) / std in float32 (ToTensor then Normalize); reverse: out[n-1-i] */
    void (*to_float)(float *out, const uint8_t *p, int n, float mean, float std, int reverse);
} rc_plane_kernels;

/* The kernels of the active ISA (rc_isa_active()). */
const rc_plane_kernels *rc_plane_kernels_active(void);

extern const rc_plane_kernels rc_plane_kernels_generic, rc_plane_kernels_avx2;

#endif
