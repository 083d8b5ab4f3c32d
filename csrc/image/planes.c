/* Planar RGB kernels, portable build, and the choice of build by ISA (see planes.h). */
#include "image/planes.h"

#include "core/cpu_features.h"
#include "image/planes_body.h"

RC_PLANE_KERNELS_WRAPPERS

const rc_plane_kernels rc_plane_kernels_generic = {deinterleave_k, interleave_k, blend_k, saturation_k,
                                                   hue_k, luma_sum_k, to_float_k};

const rc_plane_kernels *rc_plane_kernels_active(void) {
    return rc_isa_active() >= RC_ISA_AVX2 ? &rc_plane_kernels_avx2 : &rc_plane_kernels_generic;
}
