/* The optimizer loops with AVX-512F lanes (setup.py compiles *_avx512.c with -mavx512f...).
 * Same template and the same one-rounding-per-operation arithmetic as the generic and AVX2
 * builds, so the results are bit-identical to them. This machine exposes no AVX-512: the file
 * is compiled here but only run (and tested by the `isa` fixture) on CPUs that have it. */
#include <immintrin.h>

#include "optim/optim.h"

#define RC_SUFFIX one
#include "optim/optim_vec_scalar.inc.h"
#include "optim/optim_kernels.inc.h"
#include "optim/optim_vec_undef.inc.h"

#define rc_vf __m512
#define RC_VLEN 16
#define vload _mm512_loadu_ps
#define vstore _mm512_storeu_ps
#define vset _mm512_set1_ps
#define vadd _mm512_add_ps
#define vsub _mm512_sub_ps
#define vmul _mm512_mul_ps
#define vdiv _mm512_div_ps
#define vsqrt _mm512_sqrt_ps
/* Sign flip by integer xor: AVX-512F alone has no _mm512_xor_ps (that is AVX-512DQ). */
#define vneg(a) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)0x80000000u)))
static inline __m512 rc_nanmax_avx512(__m512 a, __m512 b) { /* torch.maximum: NaN wins */
    __mmask16 take_a = _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ) | _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
    return _mm512_mask_blend_ps(take_a, b, a);
}
#define vnanmax rc_nanmax_avx512
#define RC_SUFFIX vec
#include "optim/optim_kernels.inc.h"
#define RC_WIDE 16
#include "optim/optim_vec_undef.inc.h"

#define RC_ISA_NAME avx512
#include "optim/optim_ranges.inc.h"
