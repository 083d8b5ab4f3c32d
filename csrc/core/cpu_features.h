/* Which instruction set the kernels use, picked once by CPUID and lowerable at run time
 * (RESNETC_ISA=avx2|generic, or resnetc._C.set_isa) so tests can run every path. */
#ifndef RESNETC_CORE_CPU_FEATURES_H
#define RESNETC_CORE_CPU_FEATURES_H

typedef enum { RC_ISA_GENERIC = 0, RC_ISA_AVX2 = 1, RC_ISA_AVX512 = 2 } rc_isa;

/* The best ISA this CPU and OS support. */
rc_isa rc_isa_supported(void);
/* The ISA kernels use now. */
rc_isa rc_isa_active(void);
/* Sets the active ISA; returns -1 (and changes nothing) if the machine lacks it. */
int rc_isa_set(rc_isa isa);
/* "generic", "avx2", "avx512"; -1 for an unknown name. */
int rc_isa_from_name(const char *name);
const char *rc_isa_name(rc_isa isa);

#endif
