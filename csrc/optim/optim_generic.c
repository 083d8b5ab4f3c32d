/* The optimizer loops for any CPU: SSE2 lanes on x86-64 (its baseline), plain floats elsewhere. */
#include "optim/optim.h"

#define RC_SUFFIX one
#include "optim/optim_vec_scalar.inc.h"
#include "optim/optim_kernels.inc.h"
#include "optim/optim_vec_undef.inc.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define rc_vf __m128
#define RC_VLEN 4
#define vload _mm_loadu_ps
#define vstore _mm_storeu_ps
#define vset _mm_set1_ps
#define vadd _mm_add_ps
#define vsub _mm_sub_ps
#define vmul _mm_mul_ps
#define vdiv _mm_div_ps
#define vsqrt _mm_sqrt_ps
#define vneg(a) _mm_xor_ps((a), _mm_set1_ps(-0.0f))
static inline __m128 rc_nanmax_sse(__m128 a, __m128 b) { /* torch.maximum: NaN wins */
    __m128 take_a = _mm_or_ps(_mm_cmpgt_ps(a, b), _mm_cmpunord_ps(a, a));
    return _mm_or_ps(_mm_and_ps(take_a, a), _mm_andnot_ps(take_a, b));
}
#define vnanmax rc_nanmax_sse
#define RC_WIDE 4
#else
#include "optim/optim_vec_scalar.inc.h"
#define RC_WIDE 1
#endif
#define RC_SUFFIX vec
#include "optim/optim_kernels.inc.h"
#include "optim/optim_vec_undef.inc.h"

#define RC_ISA_NAME generic
#include "optim/optim_ranges.inc.h"
