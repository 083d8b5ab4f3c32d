/* AVX2 builds of the two 8-bit resampling passes of resample.c, with the same 22-bit
 * fixed-point arithmetic (integer only, so bit-identical). Called only when
 * rc_isa_active() >= RC_ISA_AVX2. */
#ifndef RESNETC_IMAGE_RESAMPLE_AVX2_H
#define RESNETC_IMAGE_RESAMPLE_AVX2_H

#include <stddef.h>
#include <stdint.h>

#include "image/resample.h"

/* Horizontal pass on 3-channel rows: out is (rows, wx->count, 3); rows 0 .. rows-2 are read up
 * to 5 bytes past their last pixel (inside the following rows), the last row only within bounds. */
void rc_horizontal3_u8_avx2(uint8_t *out, const uint8_t *in, size_t in_stride, int rows,
                            const rc_axis_weights *wx);

/* Vertical pass: out is (wy->count, line); in row 0 is input row `row0`. */
void rc_vertical_u8_avx2(uint8_t *out, const uint8_t *in, size_t in_stride, int row0, int line,
                         const rc_axis_weights *wy);

#endif
