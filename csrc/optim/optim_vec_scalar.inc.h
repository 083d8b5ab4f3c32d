/* The 1-lane vocabulary for optim_kernels.inc.h: plain floats (tails, and CPUs without SIMD). */
#include <math.h>
#define rc_vf float
#define RC_VLEN 1
#define vload(ptr) (*(ptr))
#define vstore(ptr, x) (*(ptr) = (x))
#define vset(x) (x)
#define vadd(a, b) ((a) + (b))
#define vsub(a, b) ((a) - (b))
#define vmul(a, b) ((a) * (b))
#define vdiv(a, b) ((a) / (b))
#define vsqrt(a) sqrtf(a)
#define vneg(a) (-(a))
/* torch.maximum: NaN wins. */
#define vnanmax(a, b) (((a) != (a) || (a) > (b)) ? (a) : (b))
