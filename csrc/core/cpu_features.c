#include "core/cpu_features.h"

#include <string.h>

static int active = -1;

rc_isa rc_isa_supported(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    /* libgcc's checks include the OS's XSAVE support for the wider registers. */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return RC_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return RC_ISA_AVX2;
#endif
    return RC_ISA_GENERIC;
}

rc_isa rc_isa_active(void) {
    if (active < 0) active = (int)rc_isa_supported();
    return (rc_isa)active;
}

int rc_isa_set(rc_isa isa) {
    if ((int)isa < 0 || isa > rc_isa_supported()) return -1;
    active = (int)isa;
    return 0;
}

static const char *const names[] = {"generic", "avx2", "avx512"};

int rc_isa_from_name(const char *name) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

const char *rc_isa_name(rc_isa isa) { return names[isa]; }
