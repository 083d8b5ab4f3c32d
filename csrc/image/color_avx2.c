/* The hue kernel compiled with AVX2 (setup.py gives *_avx2.c files -mavx2 -mfma; ISO C11 keeps
 * floating-point contraction off, so no FMA changes the rounding). Called only when
 * rc_isa_active() >= RC_ISA_AVX2. */
#include "image/hue_block.h"

HUE_BLOCK_DEFINE(rc_hue_block_avx2)
