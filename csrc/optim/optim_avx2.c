/* The optimizer loops with AVX2 lanes (setup.py compiles *_avx2.c with -mavx2 -mfma; no fused
 * multiply-add is written, so results equal the generic build's bit for bit). */
#include <immintrin.h>

#include "optim/optim.h"

#define RC_SUFFIX one
#include "optim/optim_vec_scalar.inc.h"
#include "optim/optim_kernels.inc.h"
#include "optim/optim_vec_undef.inc.h"

#define rc_vf __m256
#define RC_VLEN 8
#define vload _mm256_loadu_ps
#define vstore _mm256_storeu_ps
#define vset _mm256_set1_ps
#define vadd _mm256_add_ps
#define vsub _mm256_sub_ps
#define vmul _mm256_mul_ps
#define vdiv _mm256_div_ps
#define vsqrt _mm256_sqrt_ps
#define vneg(a) _mm256_xor_ps((a), _mm256_set1_ps(-0.0f))
static inline __m256 rc_nanmax_avx2(__m256 a, __m256 b) { /* torch.maximum: NaN wins */
    __m256 take_a = _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_GT_OQ), _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
    return _mm256_blendv_ps(b, a, take_a);
}
#define vnanmax rc_nanmax_avx2
#define RC_SUFFIX vec
#include "optim/optim_kernels.inc.h"
#define RC_WIDE 8
#include "optim/optim_vec_undef.inc.h"

#define RC_ISA_NAME avx2
#include "optim/optim_ranges.inc.h"
